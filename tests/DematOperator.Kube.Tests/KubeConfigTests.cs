using DematOperator.Kube.Api;
using DematOperator.Kube.Client;
using DematOperator.Kube.Config;
using DematOperator.TestSupport;

namespace DematOperator.Kube.Tests;

public sealed class KubeConfigTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private string Write(string name, string text)
    {
        var path = Path.Combine(sim.Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Kubeconfig_files_in_KUBECONFIG_merge_with_the_first_occurrence_winning()
    {
        var a = Write("a.yaml", """
            apiVersion: v1
            kind: Config
            current-context: one
            clusters: [{name: c1, cluster: {server: "https://one.example:6443", tls-server-name: api.one}}]
            users: [{name: u1, user: {token: first}}]
            contexts: [{name: one, context: {cluster: c1, user: u1, namespace: ns1}}]
            """);
        var b = Write("b.yaml", """
            apiVersion: v1
            kind: Config
            current-context: two
            clusters: [{name: c1, cluster: {server: "https://ignored.example"}}, {name: c2, cluster: {server: "https://two.example", insecure-skip-tls-verify: true}}]
            users: [{name: u1, user: {token: second}}, {name: u2, user: {tokenFile: token.txt}}]
            contexts: [{name: two, context: {cluster: c2, user: u2}}]
            """);
        var env = new Dictionary<string, string?> { ["KUBECONFIG"] = $"{a}{Path.PathSeparator}{b}" };
        var one = KubeConfigLoader.Load(environment: env);
        one.Server.Host.ShouldBe("one.example");
        one.TlsServerName.ShouldBe("api.one");
        one.User.Token.ShouldBe("first");
        one.DefaultNamespace.ShouldBe("ns1");
        var two = KubeConfigLoader.Load(context: "two", environment: env);
        two.InsecureSkipTlsVerify.ShouldBeTrue();
        two.User.TokenFile.ShouldBe(Path.Combine(sim.Directory, "token.txt"));
        Should.Throw<InvalidOperationException>(() => KubeConfigLoader.Load(context: "three", environment: env)).Message.ShouldContain("context \"three\" not found");
        Should.Throw<InvalidOperationException>(() => KubeConfigLoader.Load(environment: new Dictionary<string, string?> { ["HOME"] = sim.Directory }));
    }

    [Fact]
    public async Task Token_files_are_re_read_and_exec_plugins_supply_tokens_against_tls()
    {
        var server = sim.Host.Servers[0];
        var ca = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(sim.Host.Certificates!.CaPem));
        var tokenFile = Write("sa-token", sim.Cluster.Auth.AdminToken);
        var plugin = Write("plugin.sh", $$$"""
            #!/bin/sh
            echo "$KUBERNETES_EXEC_INFO" > "{{{sim.Directory}}}/exec-info.json"
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{{sim.Cluster.Auth.AdminToken}}}","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
            """);
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = Write("exec.yaml", $$$"""
            apiVersion: v1
            kind: Config
            current-context: exec
            clusters: [{name: sim, cluster: {server: "{{{server.Url}}}", certificate-authority-data: {{{ca}}}}}]
            users:
            - name: exec
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1, command: "{{{plugin}}}", provideClusterInfo: true}
            - name: file
              user: {tokenFile: "{{{tokenFile}}}"}
            contexts: [{name: exec, context: {cluster: sim, user: exec}}, {name: file, context: {cluster: sim, user: file}}]
            """);
        using (var viaExec = new KubeClient(KubeConfigLoader.FromFiles([config])))
            (await viaExec.ListAsync(Resources.ConfigMaps, "default")).ShouldNotBeNull();
        File.ReadAllText(Path.Combine(sim.Directory, "exec-info.json")).ShouldContain("\"kind\":\"ExecCredential\"");
        using (var viaFile = new KubeClient(KubeConfigLoader.FromFiles([config], "file")))
            (await viaFile.ListAsync(Resources.ConfigMaps, "default")).ShouldNotBeNull();
        var wrong = Write("wrong-ca.yaml", File.ReadAllText(config).Replace(ca, Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(DematOperator.KubeSim.Hosting.SimCertificates.Generate().CaPem))));
        using var untrusted = new KubeClient(KubeConfigLoader.FromFiles([wrong], "file"), new KubeClientOptions { MaxRetries = 0 });
        await Should.ThrowAsync<KubeConnectionException>(() => untrusted.ListAsync(Resources.ConfigMaps, "default"));
    }

    [Fact]
    public async Task Client_certificates_signed_by_the_cluster_ca_authenticate_and_others_are_refused()
    {
        string Config(string certPem, string keyPem) => KubeconfigWithUser($"client-certificate-data: {B64(certPem)}, client-key-data: {B64(keyPem)}");
        var (cert, key) = sim.Host.Certificates!.IssueClientCertificate("ops-admin", "ops-team");
        using (var c = new KubeClient(KubeConfigLoader.FromText(Config(cert, key))))
            (await c.ListAsync(Resources.ConfigMaps, "default")).ShouldNotBeNull();
        var (foreignCert, foreignKey) = DematOperator.KubeSim.Hosting.SimCertificates.Generate().IssueClientCertificate("intruder", "system:masters");
        using var foreign = new KubeClient(KubeConfigLoader.FromText(Config(foreignCert, foreignKey)), new KubeClientOptions { MaxRetries = 0 });
        await Should.ThrowAsync<KubeConnectionException>(() => foreign.ListAsync(Resources.ConfigMaps, "default"));
    }

    /// <summary>A kubeconfig for the emulated cluster (its CA trusted) whose user entry is <paramref name="userFields"/> (flow YAML).</summary>
    private string KubeconfigWithUser(string userFields) => $$"""
        apiVersion: v1
        kind: Config
        current-context: sim
        clusters:
        - name: sim
          cluster:
            server: "{{sim.Host.Servers[0].Url}}"
            certificate-authority-data: {{B64(sim.Host.Certificates!.CaPem)}}
        users:
        - name: u
          user: { {{userFields}} }
        contexts:
        - name: sim
          context: {cluster: sim, user: u}
        """;

    private static string B64(string text) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(text));

    [Fact]
    public async Task Exec_plugin_tokens_are_refreshed_when_they_expire()
    {
        var counter = Path.Combine(sim.Directory, "exec-count");
        File.WriteAllText(counter, "");
        var plugin = Write("refreshing-plugin.sh", $$$"""
            #!/bin/sh
            echo run >> "{{{counter}}}"
            expiry=$(cat "{{{counter}}}.expiry")
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{{sim.Cluster.Auth.AdminToken}}}","expirationTimestamp":"%s"}}' "$expiry"
            """);
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = KubeconfigWithUser($"exec: {{apiVersion: client.authentication.k8s.io/v1, command: \"{plugin}\"}}");
        var clock = new DematOperator.KubeSim.Hosting.ManualTimeProvider(TestClock.Start);
        // The plugin's credential expires a minute after the test's instant (not the machine's).
        void ExpiresInAMinute() => File.WriteAllText(counter + ".expiry", clock.GetUtcNow().AddSeconds(60).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        ExpiresInAMinute();
        using var c = new KubeClient(KubeConfigLoader.FromText(config), time: clock);
        int Runs() => File.ReadAllLines(counter).Length;
        await c.ListAsync(Resources.ConfigMaps, "default");
        await c.ListAsync(Resources.ConfigMaps, "default");
        Runs().ShouldBe(1);
        clock.Advance(TimeSpan.FromMinutes(2));
        ExpiresInAMinute();
        await c.ListAsync(Resources.ConfigMaps, "default");
        Runs().ShouldBe(2);
        await c.ListAsync(Resources.ConfigMaps, "default");
        Runs().ShouldBe(2, "the new credential is valid for another minute");
    }

    [Fact]
    public async Task A_rotated_token_file_is_picked_up_within_a_minute()
    {
        var tokenFile = Write("rotating-token", "stale-token");
        var config = KubeconfigWithUser($"tokenFile: \"{tokenFile}\"");
        var clock = new DematOperator.KubeSim.Hosting.ManualTimeProvider(TestClock.Start);
        using var c = new KubeClient(KubeConfigLoader.FromText(config), new KubeClientOptions { MaxRetries = 0 }, time: clock);
        (await Should.ThrowAsync<KubeApiException>(() => c.ListAsync(Resources.ConfigMaps, "default"))).Code.ShouldBe(401);
        // The kubelet rotates the projected token: the client reads the file again within a minute.
        File.WriteAllText(tokenFile, sim.Cluster.Auth.AdminToken);
        clock.Advance(TimeSpan.FromSeconds(61));
        (await c.ListAsync(Resources.ConfigMaps, "default")).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_bad_token_is_401_unauthorized()
    {
        using var c = SimClients.For(sim.Host, "sim", token: "not-a-token");
        (await Should.ThrowAsync<KubeApiException>(() => c.ListAsync(Resources.ConfigMaps, "default"))).Code.ShouldBe(401);
    }
}
