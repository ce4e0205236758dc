import Crypto
import FleetTLS
import Foundation

/// The agent's state, encrypted at rest with AES-256-GCM under a key kept in its own 0600 file.
///
/// Whoever can read both files can read the state, as with any local secret store; what this prevents is the
/// state leaking through backups, logs or a copied data directory without the key, and silent tampering (GCM
/// refuses a modified file).
public struct AgentVault: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    var keyPath: String { "\(directory)/vault.key" }
    var statePath: String { "\(directory)/state.enc" }

    public var exists: Bool { FileManager.default.fileExists(atPath: statePath) }

    /// One writer at a time in this process: the check-in loop and certificate renewal both save.
    static let writing = NSLock()

    /// Encrypts and writes `state`, making the key on first use. Within one enrolment the stored issued
    /// certificate is kept: renewal alone changes it, through `update`.
    public func save(_ state: AgentState) throws(FlotillaError) {
        Self.writing.lock()
        defer { Self.writing.unlock() }
        var state = state
        // The issued credential belongs to renewal, which changes it with `update` while a check-in holds an older
        // snapshot of the state: within one enrolment, what is stored stays. A new enrolment brings its own.
        if let stored = try? load(), stored.agentId == state.agentId, stored.enrolledAt == state.enrolledAt {
            state.issuedCredential = stored.issuedCredential
            // So is an upgrade: it runs beside the check-ins (and its watcher in another process), so every
            // change to it goes through `update`.
            state.upgrade = stored.upgrade
        }
        try write(state)
    }

    /// Reads, changes and writes the state as one step, so no concurrent save undoes the change.
    public func update(_ change: (inout AgentState) throws(FlotillaError) -> Void) throws(FlotillaError) {
        Self.writing.lock()
        defer { Self.writing.unlock() }
        var state = try loadEnrolled()
        try change(&state)
        try write(state)
    }

    func write(_ state: AgentState) throws(FlotillaError) {
        let key = try loadOrMakeKey()
        let plain: Data
        do {
            plain = try JSONEncoder().encode(state)
        } catch {
            throw FlotillaError("Cannot encode the agent state (\(error))", hint: "report this as a bug")
        }
        guard let sealed = try? AES.GCM.seal(plain, using: key).combined else {
            throw FlotillaError("Cannot encrypt the agent state", hint: "report this as a bug")
        }
        try SecureFileWriter.write(sealed.base64EncodedString() + "\n", to: statePath, secret: true)
    }

    /// Reads and decrypts the state; nil when the agent was never enrolled here.
    public func load() throws(FlotillaError) -> AgentState? {
        guard exists else { return nil }
        guard FileManager.default.fileExists(atPath: keyPath) else {
            throw FlotillaError("The agent state in \(statePath) has no vault key beside it (\(keyPath))", hint: "restore the key from where it was backed up, or enroll again with --force")
        }
        let key = try readKey()
        guard let text = try? String(contentsOfFile: statePath, encoding: .utf8),
              let sealed = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: key)
        else {
            throw FlotillaError("The agent state in \(statePath) cannot be decrypted with \(keyPath): the file was changed or the key is not its own", hint: "restore both files together, or enroll again with --force")
        }
        do {
            return try JSONDecoder().decode(AgentState.self, from: plain)
        } catch {
            throw FlotillaError("The agent state in \(statePath) is not in a form this version reads", hint: "enroll again with --force")
        }
    }

    /// The state of an enrolled agent, or the sentence every agent command gives when there is none.
    public func loadEnrolled() throws(FlotillaError) -> AgentState {
        guard let state = try load() else {
            throw FlotillaError("This agent is not enrolled (no state in \(directory))", hint: "pass the --base-path it was installed with, or enroll it first (flotilla install or flotilla enroll)")
        }
        return state
    }

    /// Removes state and key.
    public func erase() {
        try? FileManager.default.removeItem(atPath: statePath)
        try? FileManager.default.removeItem(atPath: keyPath)
    }

    func loadOrMakeKey() throws(FlotillaError) -> SymmetricKey {
        if FileManager.default.fileExists(atPath: keyPath) { return try readKey() }
        let key = SymmetricKey(size: .bits256)
        let encoded = key.withUnsafeBytes { Data($0) }.base64EncodedString()
        try SecureFileWriter.write(encoded + "\n", to: keyPath, secret: true)
        return key
    }

    func readKey() throws(FlotillaError) -> SymmetricKey {
        guard let text = try? String(contentsOfFile: keyPath, encoding: .utf8),
              let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == 32
        else {
            throw FlotillaError("The vault key \(keyPath) is damaged", hint: "restore it, or enroll again with --force")
        }
        return SymmetricKey(data: bytes)
    }
}
