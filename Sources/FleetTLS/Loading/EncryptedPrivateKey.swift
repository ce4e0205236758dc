import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// Writes a PKCS#8 key encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), the form `openssl pkey -passin`,
/// NIOSSL and Elastic Agent read. No library writes it, hence these few lines of ASN.1.
enum EncryptedPrivateKey {
    /// At the floor swift-crypto accepts without the "unsafe" spelling; each load of the key pays it once.
    static let rounds = 210_000

    static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
    static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
    static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
    static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]

    /// `pkcs8DER` is an unencrypted PrivateKeyInfo; returns the PEM text of an EncryptedPrivateKeyInfo.
    static func pem(pkcs8DER: [UInt8], passphrase: [UInt8]) throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let iv = AES._CBC.IV()
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: passphrase, salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
        let ciphertext = try AES._CBC.encrypt(pkcs8DER, using: key, iv: iv)

        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { info in
            try info.appendConstructedNode(identifier: .sequence) { algorithm in
                try algorithm.serialize(pbes2)
                try algorithm.appendConstructedNode(identifier: .sequence) { parameters in
                    try parameters.appendConstructedNode(identifier: .sequence) { kdf in
                        try kdf.serialize(pbkdf2)
                        try kdf.appendConstructedNode(identifier: .sequence) { kdfParameters in
                            try kdfParameters.serialize(ASN1OctetString(contentBytes: salt[...]))
                            try kdfParameters.serialize(rounds)
                            try kdfParameters.appendConstructedNode(identifier: .sequence) { prf in
                                try prf.serialize(hmacWithSHA256)
                                try prf.serialize(ASN1Null())
                            }
                        }
                    }
                    try parameters.appendConstructedNode(identifier: .sequence) { cipher in
                        try cipher.serialize(aes256CBC)
                        try cipher.serialize(ASN1OctetString(contentBytes: Array(iv)[...]))
                    }
                }
            }
            try info.serialize(ASN1OctetString(contentBytes: Array(ciphertext)[...]))
        }
        return PEMDocument(type: "ENCRYPTED PRIVATE KEY", derBytes: serializer.serializedBytes).pemString + "\n"
    }
}
