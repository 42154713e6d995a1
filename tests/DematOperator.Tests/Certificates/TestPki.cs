using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using DematOperator.TestSupport;

namespace DematOperator.Tests.Certificates;

/// <summary>Real CAs and leaf certificates for tests, and the real openssl to check what the operator writes.</summary>
public static class TestPki
{
    public sealed record Issued(X509Certificate2 Certificate, AsymmetricAlgorithm Key)
    {
        public string CertPem => Certificate.ExportCertificatePem() + "\n";
        public string KeyPem => Key switch { RSA r => r.ExportPkcs8PrivateKeyPem(), ECDsa e => e.ExportPkcs8PrivateKeyPem(), _ => throw new NotSupportedException() } + "\n";
    }

    public static AsymmetricAlgorithm NewKey(bool ecdsa) => ecdsa ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        _ => throw new NotSupportedException(),
    };

    public static Issued RootCa(string name = "CN=IGC Racine Test,O=Ministere,C=FR", bool ecdsa = false, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null,
        bool isCa = true, bool keyCertSign = true)
    {
        var key = NewKey(ecdsa);
        var request = Request(name, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyCertSign ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var cert = request.CreateSelfSigned(notBefore ?? TestClock.Start.AddYears(-1), notAfter ?? TestClock.Start.AddYears(10));
        return new Issued(cert, key);
    }

    public static Issued Sign(Issued issuer, string subject, bool ecdsa, DateTimeOffset notBefore, DateTimeOffset notAfter, string[]? dnsNames = null, bool isCa = false)
    {
        var key = NewKey(ecdsa);
        var request = Request(subject, key);
        if (isCa)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }
        else
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            var san = new SubjectAlternativeNameBuilder();
            foreach (var d in dnsNames ?? ["platau.example.gouv.fr"]) san.AddDnsName(d);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var generator = issuer.Key switch
        {
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            _ => throw new NotSupportedException(),
        };
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        var cert = request.Create(issuer.Certificate.SubjectName, generator, notBefore, notAfter, serial);
        return new Issued(cert, key);
    }

    /// <summary>Runs openssl with the given arguments in a directory; returns (exit code, stdout + stderr).</summary>
    public static async Task<(int Code, string Output)> OpenSsl(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("openssl is required");
        var output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }
}
