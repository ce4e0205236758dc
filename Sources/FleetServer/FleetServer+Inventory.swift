import FleetStore
import FleetTLS
import Foundation
import X509

extension FleetServer {
    /// Publishes the certificates this server uses (listener, next listener certificate, store link) in the store,
    /// for the console's inventory and its warnings. A store that cannot take it now gets it at the next reload.
    func publishCertificates(port: Int) async {
        var entries: [FleetServerCertificates.Entry] = []
        func add(_ use: String, _ certificate: Certificate) {
            entries.append(FleetServerCertificates.Entry(
                use: use, subject: certificate.displayName, issuer: certificate.issuerDisplayName,
                fingerprint: certificate.sha256Fingerprint, notAfter: certificate.notValidAfter
            ))
        }
        if let tls { add("server certificate", tls.identity.certificate) }
        if let next = configuration.nextCertificate, let certificate = try? CertificateCheck.leaf(next) {
            add("next server certificate", certificate)
        }
        if let storeCertificate = (appliedStoreTLS.withLock { $0 } ?? configuration.storeTLS)?.certificate,
           let certificate = try? CertificateCheck.leaf(storeCertificate) {
            add("store client certificate", certificate)
        }
        let name = "\(ProcessInfo.processInfo.hostName):\(port)"
        do {
            try await store.publishFleetServerCertificates(FleetServerCertificates(server: name, certificates: entries))
        } catch {
            logger.warning("Could not publish this Fleet Server's certificates in the store: \(error)")
        }
    }
}
