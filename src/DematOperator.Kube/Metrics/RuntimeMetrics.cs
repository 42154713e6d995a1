using System.Diagnostics;

namespace DematOperator.Kube.Metrics;

/// <summary>process_* (as the Go client's process collector names them) and dotnet_* runtime gauges.</summary>
public static class RuntimeMetrics
{
    public static void Register(MetricsRegistry registry)
    {
        var start = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        registry.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.").Set(new DateTimeOffset(start).ToUnixTimeMilliseconds() / 1000.0);
        registry.OnScrape(r =>
        {
            using var p = Process.GetCurrentProcess();
            r.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.").Set(p.WorkingSet64);
            r.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").Set(p.VirtualMemorySize64);
            r.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.").WithLabels().RaiseTo(p.TotalProcessorTime.TotalSeconds);
            r.Gauge("process_open_fds", "Number of open file descriptors.").Set(OpenFileDescriptors());
            r.Gauge("dotnet_gc_heap_size_bytes", "Bytes in the managed heap after the last collection.").Set(GC.GetGCMemoryInfo().HeapSizeBytes);
            r.Counter("dotnet_allocated_bytes_total", "Bytes allocated on the managed heap since the process started.").WithLabels().RaiseTo(GC.GetTotalAllocatedBytes());
            var gc = r.Counter("dotnet_gc_collections_total", "Garbage collections since the process started.", "generation");
            for (var g = 0; g <= GC.MaxGeneration; g++) gc.WithLabels(g.ToString()).RaiseTo(GC.CollectionCount(g));
            r.Gauge("dotnet_threadpool_threads", "Threads in the thread pool.").Set(ThreadPool.ThreadCount);
            r.Gauge("dotnet_threadpool_queue_length", "Work items waiting in the thread pool.").Set(ThreadPool.PendingWorkItemCount);
        });
    }

    private static int OpenFileDescriptors()
    {
        try { return Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : 0; }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }
}
