using System.IO.Compression;

namespace DematOperator.TestSupport;

/// <summary>Debian's Chromium, headless, as the tests use it to render what we produce (hack/install-test-tools.sh installs it).</summary>
public static class Chromium
{
    public static string Binary => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>
    /// The flags a closed machine needs: no sandbox (root), no GPU, and no background networking, whose connections
    /// this network refuses.
    /// </summary>
    private static string[] Flags(string profile) =>
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", $"--user-data-dir={profile}"];

    public static async Task<byte[]> ScreenshotAsync(string htmlFile, int width, int height)
    {
        var dir = Directory.CreateTempSubdirectory("chromium-").FullName;
        var png = Path.Combine(dir, "shot.png");
        var result = await Processes.RunAsync(Binary, [.. Flags(Path.Combine(dir, "profile")), $"--window-size={width},{height}", $"--screenshot={png}", new Uri(htmlFile).AbsoluteUri],
            timeout: TimeSpan.FromSeconds(90));
        if (!File.Exists(png)) throw new Xunit.Sdk.XunitException($"chromium wrote no screenshot ({result.ExitCode}): {result.Stderr}");
        return await File.ReadAllBytesAsync(png);
    }

    /// <summary>The DOM as Chromium parsed it, after rendering.</summary>
    public static async Task<string> DumpDomAsync(string htmlFile)
    {
        var dir = Directory.CreateTempSubdirectory("chromium-").FullName;
        var result = await Processes.RunAsync(Binary, [.. Flags(Path.Combine(dir, "profile")), "--dump-dom", new Uri(htmlFile).AbsoluteUri], timeout: TimeSpan.FromSeconds(90));
        return result.Stdout;
    }
}

/// <summary>Just enough of PNG (8-bit RGB or RGBA, non-interlaced, as Chromium writes them) to look at the pixels.</summary>
public static class Png
{
    public sealed record Image(int Width, int Height, IReadOnlyList<uint> Pixels);

    public static Image Decode(byte[] png)
    {
        if (png.Length < 8 || png[0] != 0x89 || png[1] != (byte)'P') throw new InvalidDataException("not a PNG");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at + 8 <= png.Length;)
        {
            var length = (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
                height = (data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
                if (data[8] != 8 || data[12] != 0) throw new InvalidDataException("only 8-bit non-interlaced PNGs");
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {data[9]}") };
            }
            else if (type == "IDAT") idat.Write(data);
            else if (type == "IEND") break;
            at += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var bytes = raw.ToArray();
        var stride = width * channels;
        var previous = new byte[stride];
        var current = new byte[stride];
        var pixels = new uint[width * height];
        for (var y = 0; y < height; y++)
        {
            var filter = bytes[y * (stride + 1)];
            Array.Copy(bytes, y * (stride + 1) + 1, current, 0, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                current[i] = (byte)(current[i] + filter switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
            for (var x = 0; x < width; x++)
                pixels[y * width + x] = (uint)(current[x * channels] << 16 | current[x * channels + 1] << 8 | current[x * channels + 2]);
            (previous, current) = (current, previous);
        }
        return new Image(width, height, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
