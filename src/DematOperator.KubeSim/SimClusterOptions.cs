namespace DematOperator.KubeSim;

public sealed class SimClusterOptions
{
    /// <summary>How many past events a watch can resume from; older resourceVersions get 410 Expired.</summary>
    public int HistoryLimit { get; set; } = 50_000;
    /// <summary>How long past events (and list continue tokens) stay usable, like etcd's 5-minute compaction.</summary>
    public TimeSpan HistoryWindow { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Authorize requests with Roles and bindings (403 on denial) instead of allowing every token.</summary>
    public bool RbacEnabled { get; set; }
    public string KubernetesVersion { get; set; } = "v1.24.17";
}
