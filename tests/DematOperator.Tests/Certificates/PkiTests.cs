using System.Security.Cryptography.X509Certificates;
using DematOperator.Certificates;
using FsCheck;
using FsCheck.Fluent;
using NodaTime;

using DematOperator.TestSupport;

namespace DematOperator.Tests.Certificates;

/// <summary>Renewal with real keys and CAs, checked by the real openssl.</summary>
public sealed class PkiTests
{
    private static readonly Instant Now = Instant.FromDateTimeOffset(TestClock.Start);

    private static async Task<string> Write(string dir, string name, string text)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, name), text);
        return name;
    }

    [Theory]
    [InlineData(false, false, "RSA", 2048)]
    [InlineData(false, true, "ECDSA", 256)]
    [InlineData(true, false, "RSA", 3072)]
    [InlineData(true, true, "ECDSA", 384)]
    public async Task A_renewed_certificate_keeps_names_and_usages_and_verifies_with_openssl(bool ecdsaCa, bool ecdsaLeaf, string algorithm, int size)
    {
        var root = TestPki.RootCa(ecdsa: ecdsaCa);
        var intermediate = TestPki.Sign(root, "CN=IGC Serveurs Test,O=Ministere,C=FR", ecdsaCa, TestClock.Start.AddYears(-1), TestClock.Start.AddYears(5), isCa: true);
        var leaf = TestPki.Sign(intermediate, "CN=platau.example.gouv.fr,O=Ministere,C=FR", ecdsaLeaf, TestClock.Start.AddDays(-85), TestClock.Start.AddDays(5),
            ["platau.example.gouv.fr", "api.platau.example.gouv.fr"]);
        using var ca = Pki.LoadAuthority(intermediate.CertPem + root.CertPem, intermediate.KeyPem, root.CertPem, Now);

        var renewed = Pki.Renew(leaf.Certificate, ca, new KeySpec(algorithm, size), null, Duration.FromDays(90), Now);

        renewed.Facts.Subject.ShouldBe(leaf.Certificate.Subject);
        renewed.Facts.DnsNames.ShouldBe(["platau.example.gouv.fr", "api.platau.example.gouv.fr"]);
        Math.Abs((renewed.Facts.NotAfter - (Now + Duration.FromDays(90))).TotalSeconds).ShouldBeLessThan(1.5);
        renewed.Facts.Serial.ShouldNotBe(leaf.Certificate.SerialNumber);
        var dir = Directory.CreateTempSubdirectory("pki-").FullName;
        var chain = Pki.ParseChain(renewed.CertificateChainPem, "chain");
        chain.Count.ShouldBe(2, "leaf + intermediate, never the root");
        await Write(dir, "leaf.pem", chain[0].ExportCertificatePem());
        await Write(dir, "untrusted.pem", chain[1].ExportCertificatePem());
        await Write(dir, "ca.pem", renewed.CaPem);
        await Write(dir, "key.pem", renewed.PrivateKeyPem);
        var verify = await TestPki.OpenSsl(dir, "verify", "-attime", TestClock.Epoch(TestClock.Start), "-CAfile", "ca.pem", "-untrusted", "untrusted.pem", "leaf.pem");
        verify.Output.ShouldContain("leaf.pem: OK");
        var text = (await TestPki.OpenSsl(dir, "x509", "-noout", "-text", "-in", "leaf.pem")).Output;
        text.ShouldContain("DNS:platau.example.gouv.fr, DNS:api.platau.example.gouv.fr");
        text.ShouldContain("TLS Web Server Authentication, TLS Web Client Authentication");
        text.ShouldContain("Digital Signature, Key Encipherment");
        text.ShouldContain("CA:FALSE");
        text.ShouldContain(algorithm == "RSA" ? $"Public-Key: ({size} bit)" : $"Public-Key: ({size} bit)");
        text.ShouldMatch(@"Issuer: [^\n]*CN\s?=\s?IGC Serveurs Test");
        // The key written is the certificate's.
        var certModulus = await TestPki.OpenSsl(dir, "x509", "-noout", "-pubkey", "-in", "leaf.pem");
        var keyPub = await TestPki.OpenSsl(dir, "pkey", "-pubout", "-in", "key.pem");
        keyPub.Output.ShouldBe(certModulus.Output);
    }

    [Fact]
    public void Rotation_policy_never_keeps_the_key_and_validity_is_clamped_to_the_ca()
    {
        var root = TestPki.RootCa(notAfter: TestClock.Start.AddDays(40));
        var leaf = TestPki.Sign(root, "CN=portal", false, TestClock.Start.AddDays(-30), TestClock.Start.AddDays(2));
        using var ca = Pki.LoadAuthority(root.CertPem, root.KeyPem, null, Now);
        var renewed = Pki.Renew(leaf.Certificate, ca, KeySpec.Default, leaf.Key, Duration.FromDays(90), Now);
        var cert = X509Certificate2.CreateFromPem(renewed.CertificateChainPem);
        Pki.KeyMatches(cert, leaf.Key).ShouldBeTrue();
        renewed.Facts.NotAfter.ShouldBeLessThanOrEqualTo(Instant.FromDateTimeUtc(root.Certificate.NotAfter.ToUniversalTime()));
    }

    [Fact]
    public void Unusable_cas_and_material_are_refused_with_a_message_that_quotes_no_key()
    {
        var good = TestPki.RootCa();
        string Problem(Action act) => Should.Throw<PkiException>(act).Message;
        Problem(() => Pki.LoadAuthority(TestPki.RootCa(isCa: false).CertPem, TestPki.RootCa().KeyPem, null, Now)).ShouldContain("does not match");
        var notCa = TestPki.RootCa(isCa: false);
        Problem(() => Pki.LoadAuthority(notCa.CertPem, notCa.KeyPem, null, Now)).ShouldContain("is not a CA");
        var noSign = TestPki.RootCa(keyCertSign: false);
        Problem(() => Pki.LoadAuthority(noSign.CertPem, noSign.KeyPem, null, Now)).ShouldContain("keyCertSign");
        var expired = TestPki.RootCa(notBefore: TestClock.Start.AddYears(-3), notAfter: TestClock.Start.AddDays(-1));
        Problem(() => Pki.LoadAuthority(expired.CertPem, expired.KeyPem, null, Now)).ShouldContain("expired");
        Problem(() => Pki.ParseChain("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", "tls.crt")).ShouldContain("tls.crt");
        Problem(() => Pki.ParseChain("hello", "tls.crt")).ShouldContain("no PEM certificate");
        var secretText = good.KeyPem;
        Problem(() => Pki.ParseKey(secretText[..(secretText.Length / 2)], "tls.key")).ShouldNotContain(secretText[40..80]);
    }

    [Fact]
    public void The_renewal_time_lies_within_the_lifetime_whatever_the_settings() =>
        Prop.ForAll(Gen.Choose(1, 3650).ToArbitrary(), Gen.Choose(0, 4000).ToArbitrary(), Gen.Choose(0, 99).ToArbitrary(), (days, beforeDays, percent) =>
        {
            var notBefore = Instant.FromUtc(2026, 1, 1, 0, 0);
            var facts = new CertificateFacts("CN=x", [], "CN=ca", "01", notBefore, notBefore + Duration.FromDays(days));
            var at = Pki.RenewalTime(facts, beforeDays == 0 ? null : Duration.FromDays(beforeDays), percent == 0 ? null : percent);
            return at >= facts.NotBefore && at <= facts.NotAfter;
        }).QuickCheckThrowOnFailure();

    /// <summary>What an external signer returns is checked before anything is written: each check on its own.</summary>
    [Fact]
    public async Task A_signed_certificate_is_accepted_only_for_the_key_the_names_the_time_and_the_trust_anchor()
    {
        var root = TestPki.RootCa();
        var intermediate = TestPki.Sign(root, "CN=IGC Serveurs Test,O=Ministere,C=FR", false, TestClock.Start.AddYears(-1), TestClock.Start.AddYears(5), isCa: true);
        var requested = CertificateTemplate.ForServer("Portail", ["portail.example.gouv.fr", "api.example.gouv.fr"]);
        using var key = new KeySpec("ECDSA", 256).Generate();
        var keyPem = Pki.ToPem(key);
        var request = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequestPem(Pki.SigningRequestPem(requested, key), System.Security.Cryptography.HashAlgorithmName.SHA256,
            CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        request.SubjectName.Name.ShouldBe("CN=Portail");
        new X509SubjectAlternativeNameExtension(request.CertificateExtensions.Single(e => e.Oid?.Value == "2.5.29.17").RawData).EnumerateDnsNames().ShouldBe(["portail.example.gouv.fr", "api.example.gouv.fr"]);
        string Signed(IEnumerable<string> names, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, TestPki.Issued? by = null)
        {
            var issuer = by ?? intermediate;
            var san = new SubjectAlternativeNameBuilder();
            foreach (var n in names) san.AddDnsName(n);
            var r = new System.Security.Cryptography.X509Certificates.CertificateRequest(request.SubjectName, request.PublicKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
            r.CertificateExtensions.Add(san.Build());
            var generator = X509SignatureGenerator.CreateForRSA((System.Security.Cryptography.RSA)issuer.Key, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var cert = r.Create(issuer.Certificate.SubjectName, generator, notBefore ?? TestClock.Start.AddDays(-1), notAfter ?? TestClock.Start.AddDays(90), [1, 2, 3, 4, 5, 6, 7, 8]);
            return cert.ExportCertificatePem() + "\n" + issuer.CertPem;
        }
        string Problem(string chain, string bundle, string? withKey = null) =>
            Should.Throw<PkiException>(() => Pki.AcceptSigned(chain, withKey ?? keyPem, bundle, requested, Now)).Message;

        var good = Pki.AcceptSigned(Signed(requested.DnsNames), keyPem, root.CertPem, requested, Now);
        var chain = Pki.ParseChain(good.CertificateChainPem, "tls.crt");
        chain.Select(c => c.Subject).ShouldBe(["CN=Portail", intermediate.Certificate.Subject], "leaf and intermediate; the root only in ca.crt");
        Pki.ParseChain(good.CaPem, "ca.crt").Single().Thumbprint.ShouldBe(root.Certificate.Thumbprint);
        // The intermediate may come from the trust bundle instead of the signer's answer.
        var leafOnly = Signed(requested.DnsNames).Split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n";
        Pki.AcceptSigned(leafOnly, keyPem, root.CertPem + intermediate.CertPem, requested, Now).CertificateChainPem.ShouldContain(intermediate.Certificate.ExportCertificatePem().Split('\n')[1]);

        using var otherKey = new KeySpec("ECDSA", 256).Generate();
        Problem(Signed(requested.DnsNames), root.CertPem, Pki.ToPem(otherKey)).ShouldContain("not for the requested key");
        Problem(Signed(["portail.example.gouv.fr"]), root.CertPem).ShouldContain("lacks the requested DNS name(s) api.example.gouv.fr");
        Problem(Signed(requested.DnsNames, notBefore: TestClock.Start.AddDays(1)), root.CertPem).ShouldContain("not valid before");
        Problem(Signed(requested.DnsNames, notBefore: TestClock.Start.AddDays(-90), notAfter: TestClock.Start.AddDays(-1)), root.CertPem).ShouldContain("expired");
        var rogue = TestPki.RootCa("CN=Rogue,O=Elsewhere,C=FR");
        Problem(Signed(requested.DnsNames, by: rogue), root.CertPem).ShouldContain("does not chain to the trust anchor");
        Problem(Signed(requested.DnsNames), intermediate.CertPem).ShouldContain("no root");
        // openssl agrees with what was accepted.
        var dir = Directory.CreateTempSubdirectory("accepted-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "leaf.pem"), chain[0].ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "chain.pem"), chain[1].ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(dir, "ca.pem"), good.CaPem);
        (await TestPki.OpenSsl(dir, "verify", "-attime", TestClock.Epoch(TestClock.Start), "-CAfile", "ca.pem", "-untrusted", "chain.pem", "leaf.pem")).Output.ShouldContain("leaf.pem: OK");
    }
}
