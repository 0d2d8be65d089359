using System.Security.Cryptography;

namespace EventCase.EventStore.Auditing;

/// <summary>
/// An ECDSA P-256 key that signs or checks audit checkpoints, loaded from PEM (the private key from configuration
/// signs; a published public key checks). Thread safe for signing and verifying.
/// </summary>
public sealed class CheckpointSigningKey : IDisposable
{
    /// <summary>The signature algorithm, as named in a checkpoint's JSON: ECDSA on P-256 over SHA-256, the signature
    /// as the 64 bytes r ‖ s (IEEE P1363).</summary>
    public const string Algorithm = "ECDSA-P256-SHA256";

    private readonly ECDsa _key;

    private CheckpointSigningKey(ECDsa key, bool hasPrivateKey)
    {
        _key = key;
        HasPrivateKey = hasPrivateKey;
        var publicKey = key.ExportSubjectPublicKeyInfo();
        KeyId = Convert.ToHexStringLower(SHA256.HashData(publicKey));
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>Whether this key can sign (false for a public key).</summary>
    public bool HasPrivateKey { get; }

    /// <summary>Names the key: SHA-256 of its DER SubjectPublicKeyInfo, 64 lower-case hex digits.</summary>
    public string KeyId { get; }

    /// <summary>The public key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>), to publish for auditors.</summary>
    public string PublicKeyPem { get; }

    /// <summary>Loads a key from PEM: a private key (<c>EC PRIVATE KEY</c> or PKCS#8 <c>PRIVATE KEY</c>) or a public key.</summary>
    /// <exception cref="ArgumentException">The PEM holds no P-256 key.</exception>
    public static CheckpointSigningKey FromPem(string pem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var parameters = key.ExportParameters(includePrivateParameters: false);
            if (key.KeySize != 256 || parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new ArgumentException("An audit checkpoint key must be an ECDSA key on the P-256 curve.", nameof(pem));
            }

            return new CheckpointSigningKey(key, pem.Contains("PRIVATE KEY", StringComparison.Ordinal));
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new ArgumentException("The PEM holds no usable ECDSA key: " + e.Message, nameof(pem), e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A new random key (for tests and for <c>eventcase audit keygen</c>-style tooling).</summary>
    public static CheckpointSigningKey Generate()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CheckpointSigningKey(key, hasPrivateKey: true);
    }

    /// <summary>The private key as PKCS#8 PEM, to put in configuration.</summary>
    /// <exception cref="InvalidOperationException">This is a public key.</exception>
    public string ExportPrivateKeyPem() =>
        HasPrivateKey ? _key.ExportPkcs8PrivateKeyPem() : throw new InvalidOperationException("This key has no private part.");

    internal byte[] Sign(ReadOnlySpan<byte> data)
    {
        if (!HasPrivateKey)
        {
            throw new InvalidOperationException("A checkpoint is signed with a private key; this is a public key.");
        }

        return _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    internal bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
