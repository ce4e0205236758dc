import FleetTLS

/// The SHA-256 fingerprint of a certificate file, as Flotilla records it.
public enum TLSIdentityFingerprint {
    public static func of(_ certificateFile: String) throws -> String {
        try CertificateCheck.leaf(certificateFile).sha256Fingerprint
    }
}
