using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using NodaTime;

namespace DematOperator.Certificates;

/// <summary>Something wrong with certificate material; the message is safe to show (it never quotes key material).</summary>
public sealed class PkiException(string message) : Exception(message);

/// <summary>What a certificate says about itself, as the status and metrics report it.</summary>
public sealed record CertificateFacts(string Subject, IReadOnlyList<string> DnsNames, string Issuer, string Serial, Instant NotBefore, Instant NotAfter)
{
    public static CertificateFacts Of(X509Certificate2 cert) => new(
        cert.Subject, Pki.DnsNames(cert), cert.Issuer, cert.SerialNumber,
        Instant.FromDateTimeUtc(cert.NotBefore.ToUniversalTime()), Instant.FromDateTimeUtc(cert.NotAfter.ToUniversalTime()));
}

/// <summary>A private key to generate: RSA 2048/3072/4096 or ECDSA P-256/P-384.</summary>
public sealed record KeySpec(string Algorithm, int Size)
{
    public static readonly KeySpec Default = new("RSA", 2048);

    public AsymmetricAlgorithm Generate() => Algorithm switch
    {
        "ECDSA" => ECDsa.Create(Size == 384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256),
        _ => RSA.Create(Size),
    };

    public static string? Problem(string algorithm, int size) => (algorithm, size) switch
    {
        ("RSA", 2048 or 3072 or 4096) or ("ECDSA", 256 or 384) => null,
        ("RSA", _) => $"RSA keys are 2048, 3072 or 4096 bits, not {size}",
        ("ECDSA", _) => $"ECDSA keys are P-256 or P-384 (size 256 or 384), not {size}",
        _ => $"unknown key algorithm \"{algorithm}\": use RSA or ECDSA",
    };
}

/// <summary>
/// What a new certificate says: a successor keeps the subject, SANs, key usages and extended key usages of the current
/// one; a created one has the names of spec.certificates and the usages an external signer is asked for (digital
/// signature, key encipherment, server auth).
/// </summary>
public sealed class CertificateTemplate
{
    private const string SanOid = "2.5.29.17", KeyUsageOid = "2.5.29.15", EkuOid = "2.5.29.37", ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public required X500DistinguishedName Subject { get; init; }
    public required IReadOnlyList<string> DnsNames { get; init; }
    private IReadOnlyList<X509Extension> Extensions { get; init; } = [];

    public static CertificateTemplate From(X509Certificate2 current) => new()
    {
        Subject = current.SubjectName,
        DnsNames = Pki.DnsNames(current),
        Extensions = current.Extensions.Where(e => e.Oid?.Value is SanOid or KeyUsageOid or EkuOid).Select(e => new X509Extension(e.Oid!, e.RawData, e.Critical)).ToList(),
    };

    public static CertificateTemplate ForServer(string? commonName, IReadOnlyList<string> dnsNames)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var d in dnsNames) san.AddDnsName(d);
        var cn = commonName ?? dnsNames.FirstOrDefault() ?? throw new PkiException("a certificate needs a common name or a DNS name");
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(cn);
        return new CertificateTemplate
        {
            Subject = subject.Build(),
            DnsNames = dnsNames,
            Extensions =
            [
                .. dnsNames.Count > 0 ? [san.Build()] : Array.Empty<X509Extension>(),
                new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true),
                new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false),
            ],
        };
    }

    /// <summary>The usages a CertificateSigningRequest states (spec.usages), as the issue of the IGC asks.</summary>
    public static readonly string[] SigningRequestUsages = ["digital signature", "key encipherment", "server auth"];

    internal CertificateRequest Request(AsymmetricAlgorithm key)
    {
        var hash = key is ECDsa { KeySize: 384 } ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        var request = key switch
        {
            RSA rsa => new CertificateRequest(Subject, rsa, hash, RSASignaturePadding.Pkcs1),
            ECDsa ec => new CertificateRequest(Subject, ec, hash),
            _ => throw new PkiException("unsupported key type"),
        };
        foreach (var e in Extensions) request.CertificateExtensions.Add(e);
        return request;
    }
}

/// <summary>The renewed material, ready to write: every PEM has been parsed back and verified.</summary>
public sealed record RenewedCertificate(string CertificateChainPem, string PrivateKeyPem, string CaPem, CertificateFacts Facts);

/// <summary>
/// PEM parsing, key checks, CA validation and renewal, with System.Security.Cryptography only and no I/O.
/// Renewal keeps the subject, SANs, key usages and extended key usages of the current certificate, signs
/// with the CA whatever the two key algorithms, clamps the validity to the CA's, and verifies the result
/// against the CA chain and its key before handing it out.
/// </summary>
public static class Pki
{
    /// <summary>All certificates of a PEM bundle, in order (the leaf first for tls.crt).</summary>
    public static List<X509Certificate2> ParseChain(string pem, string what)
    {
        var collection = new X509Certificate2Collection();
        try { collection.ImportFromPem(pem); }
        catch (CryptographicException) { throw new PkiException($"{what} is not valid PEM"); }
        if (collection.Count == 0) throw new PkiException($"{what} holds no PEM certificate");
        return [.. collection];
    }

    public static AsymmetricAlgorithm ParseKey(string pem, string what)
    {
        if (pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal)) throw new PkiException($"{what} is encrypted: the operator needs an unencrypted key");
        foreach (var create in new Func<AsymmetricAlgorithm>[] { RSA.Create, ECDsa.Create })
        {
            var key = create();
            try
            {
                switch (key)
                {
                    case RSA rsa: rsa.ImportFromPem(pem); break;
                    case ECDsa ec: ec.ImportFromPem(pem); break;
                }
                return key;
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException) { key.Dispose(); }
        }
        throw new PkiException($"{what} is not an RSA or ECDSA private key in PEM");
    }

    public static bool KeyMatches(X509Certificate2 cert, AsymmetricAlgorithm key)
    {
        var certKey = (AsymmetricAlgorithm?)cert.GetRSAPublicKey() ?? cert.GetECDsaPublicKey();
        if (certKey is null) return false;
        using (certKey) return certKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
    }

    public static List<string> DnsNames(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToList();

    public static string ToPem(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => rsa.ExportPkcs8PrivateKeyPem(),
        ECDsa ec => ec.ExportPkcs8PrivateKeyPem(),
        _ => throw new PkiException("unsupported key type"),
    };

    public static bool SelfSigned(X509Certificate2 c) => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);

    /// <summary>An issuing CA from a Secret's tls.crt (the CA first, then its chain), tls.key and optional ca.crt (the root).</summary>
    public sealed class Authority : IDisposable
    {
        public required X509Certificate2 Certificate { get; init; }
        public required AsymmetricAlgorithm Key { get; init; }
        /// <summary>The CA itself when it is an intermediate, then the intermediates above it (never the root).</summary>
        public required IReadOnlyList<X509Certificate2> Chain { get; init; }
        public required IReadOnlyList<X509Certificate2> Roots { get; init; }

        public void Dispose() => Key.Dispose();
    }

    public static Authority LoadAuthority(string tlsCrt, string tlsKey, string? caCrt, Instant now)
    {
        var certs = ParseChain(tlsCrt, "the CA Secret's tls.crt");
        var ca = certs[0];
        var key = ParseKey(tlsKey, "the CA Secret's tls.key");
        if (!KeyMatches(ca, key)) throw new PkiException("the CA Secret's tls.key does not match its certificate");
        var constraints = ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (constraints is not { CertificateAuthority: true }) throw new PkiException($"{ca.Subject} is not a CA (BasicConstraints CA=false or missing)");
        var usage = ca.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is not null && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign)) throw new PkiException($"the CA {ca.Subject} lacks the keyCertSign usage");
        var facts = CertificateFacts.Of(ca);
        if (facts.NotAfter <= now) throw new PkiException($"the CA {ca.Subject} expired on {facts.NotAfter}");
        if (facts.NotBefore > now) throw new PkiException($"the CA {ca.Subject} is not valid before {facts.NotBefore}");
        var roots = caCrt is { Length: > 0 } ? ParseChain(caCrt, "the CA Secret's ca.crt").Where(SelfSigned).ToList() : [];
        roots.AddRange(certs.Where(SelfSigned));
        if (roots.Count == 0) throw new PkiException("the CA Secret has no root certificate: add it as ca.crt");
        return new Authority { Certificate = ca, Key = key, Chain = certs.Where(c => !SelfSigned(c)).ToList(), Roots = roots };
    }

    /// <summary>When a certificate is due: notAfter − renewBefore, or when the given share of its lifetime remains.</summary>
    public static Instant RenewalTime(CertificateFacts facts, Duration? renewBefore, int? percentage)
    {
        var lifetime = facts.NotAfter - facts.NotBefore;
        if (percentage is { } p) return facts.NotAfter - Duration.FromTicks(lifetime.BclCompatibleTicks * p / 100);
        var before = renewBefore ?? Duration.FromDays(30);
        // A renewBefore longer than the lifetime would renew in a loop: fall back to a third of it, as cert-manager does.
        return before >= lifetime ? facts.NotAfter - lifetime / 3 : facts.NotAfter - before;
    }

    /// <summary>Signs a successor of <paramref name="current"/> with the CA and verifies it; throws <see cref="PkiException"/> when anything is wrong.</summary>
    public static RenewedCertificate Renew(X509Certificate2 current, Authority ca, KeySpec keySpec, AsymmetricAlgorithm? keepKey, Duration validity, Instant now) =>
        Issue(CertificateTemplate.From(current), ca, keySpec, keepKey, validity, now);

    /// <summary>Signs a certificate of the template with the CA (a new key unless one is kept) and verifies it before handing it out.</summary>
    public static RenewedCertificate Issue(CertificateTemplate template, Authority ca, KeySpec keySpec, AsymmetricAlgorithm? keepKey, Duration validity, Instant now)
    {
        using var generated = keepKey is null ? keySpec.Generate() : null;
        var key = keepKey ?? generated!;
        var request = template.Request(key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        var generator = ca.Key switch
        {
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            _ => throw new PkiException("unsupported CA key type"),
        };
        var caNotAfter = ca.Certificate.NotAfter.ToUniversalTime();
        var notBefore = now.ToDateTimeOffset().AddMinutes(-5);
        var notAfter = (now + validity).ToDateTimeOffset();
        if (notAfter > caNotAfter) notAfter = caNotAfter;
        if (notAfter <= notBefore) throw new PkiException("the CA expires before the new certificate could be valid");
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var unsigned = request.Create(ca.Certificate.SubjectName, generator, notBefore, notAfter, serial);
        var chainPem = new StringBuilder(unsigned.ExportCertificatePem()).Append('\n');
        foreach (var c in ca.Chain) chainPem.Append(c.ExportCertificatePem()).Append('\n');
        var caPem = string.Join("\n", ca.Roots.Select(r => r.ExportCertificatePem())) + "\n";
        var keyPem = ToPem(key);
        Verify(chainPem.ToString(), keyPem, caPem, now);
        return new RenewedCertificate(chainPem.ToString(), keyPem, caPem, CertificateFacts.Of(unsigned));
    }

    /// <summary>The PKCS#10 request an external signer receives: the template's subject, SANs and usages, signed with the new key.</summary>
    public static string SigningRequestPem(CertificateTemplate template, AsymmetricAlgorithm key) => template.Request(key).CreateSigningRequestPem();

    /// <summary>
    /// What an external signer returned, checked before anything is written: the leaf holds the new key, carries every
    /// requested DNS name, is valid now and chains (with the intermediates it came with or the bundle's) to a root of
    /// the trust bundle. The material for the Secret: leaf and intermediates in tls.crt, the root in ca.crt.
    /// </summary>
    public static RenewedCertificate AcceptSigned(string certificatePem, string keyPem, string trustBundlePem, CertificateTemplate requested, Instant now)
    {
        var chain = ParseChain(certificatePem, "the signed certificate");
        var leaf = chain[0];
        using var key = ParseKey(keyPem, "the request's key");
        if (!KeyMatches(leaf, key)) throw new PkiException("the signed certificate is not for the requested key");
        var facts = CertificateFacts.Of(leaf);
        if (facts.NotBefore > now) throw new PkiException($"the signed certificate is not valid before {facts.NotBefore}");
        if (facts.NotAfter <= now) throw new PkiException($"the signed certificate expired on {facts.NotAfter}");
        var missing = requested.DnsNames.Except(facts.DnsNames, StringComparer.OrdinalIgnoreCase).ToList();
        if (missing.Count > 0) throw new PkiException($"the signed certificate lacks the requested DNS name(s) {string.Join(", ", missing)}");
        var bundle = ParseChain(trustBundlePem, "the trust anchor");
        var roots = bundle.Where(SelfSigned).ToList();
        if (roots.Count == 0) throw new PkiException("the trust anchor holds no root (self-signed) certificate");
        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.CustomTrustStore.AddRange(roots.ToArray());
        x509.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).Concat(bundle.Where(c => !SelfSigned(c))).ToArray());
        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509.ChainPolicy.VerificationTime = now.ToDateTimeUtc();
        if (!x509.Build(leaf))
            throw new PkiException("the signed certificate does not chain to the trust anchor: " + string.Join(", ", x509.ChainStatus.Select(s => s.StatusInformation.Trim())));
        var elements = x509.ChainElements.Select(e => e.Certificate).ToList();
        var chainPem = string.Concat(elements.Take(elements.Count - 1).Select(c => c.ExportCertificatePem() + "\n"));
        var caPem = elements[^1].ExportCertificatePem() + "\n";
        return new RenewedCertificate(chainPem, ToPem(key), caPem, facts);
    }

    /// <summary>Parses the material back as a client would and checks the chain to the roots and the key pair.</summary>
    public static void Verify(string chainPem, string keyPem, string caPem, Instant now)
    {
        var chain = ParseChain(chainPem, "the new tls.crt");
        using var key = ParseKey(keyPem, "the new tls.key");
        if (!KeyMatches(chain[0], key)) throw new PkiException("the new key does not match the new certificate");
        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.CustomTrustStore.AddRange(ParseChain(caPem, "the new ca.crt").ToArray());
        x509.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509.ChainPolicy.VerificationTime = now.ToDateTimeUtc();
        if (!x509.Build(chain[0]))
            throw new PkiException("the new certificate does not verify against the CA: " + string.Join(", ", x509.ChainStatus.Select(s => s.StatusInformation.Trim())));
    }
}
