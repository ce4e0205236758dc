import Foundation

/// Runs real programs (curl, openssl, the flotilla binary) and collects what they print.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var output: String { stdout + stderr }
}

public enum ProcessRunner {
    /// Runs `executable` to its end, or kills it after `limit` seconds and fails with what it printed: a program
    /// that hangs fails its test with a message instead of stalling the suite.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil, directory: String? = nil, limit: Double = 120
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try which(executable))
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Both pipes are drained while it runs, so a chatty program cannot block on a full pipe. The end is the
        // program's exit, not the pipes' end of file: a server it started (pg_ctl starts postgres) may hold them.
        let printed = PipeCollector(out.fileHandleForReading), complained = PipeCollector(err.fileHandleForReading)
        let pid = process.processIdentifier
        var status: Int32?
        var polls = 0
        let deadline = Date().addingTimeInterval(limit)
        while status == nil {
            if Date() > deadline {
                kill(pid, SIGKILL)
                let name = (executable as NSString).lastPathComponent
                throw CocoaError(.executableLoad, userInfo: [
                    NSLocalizedDescriptionKey: "\(name) \(arguments.prefix(3).joined(separator: " ")) did not end within \(Int(limit)) s and was killed; it printed: \(printed.collected().suffix(500)) \(complained.collected().suffix(500))",
                ])
            }
            // Foundation's own flag every 2 ms; /proc (a file read) only every 100 ms, or it costs a core.
            polls += 1
            status = process.isRunning ? (polls % 50 == 0 ? ProcessExit.status(of: process, pid: pid) : nil) : process.terminationStatus
            if status == nil { usleep(2_000) }
        }
        return ProcessResult(status: status ?? -1, stdout: printed.collected(), stderr: complained.collected())
    }

    public static func which(_ name: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }

    /// The flotilla binary built next to the test bundle (or FLOTILLA_BIN).
    public static var flotillaBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["FLOTILLA_BIN"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("flotilla").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "flotilla"
    }

}

/// A long-running program (openssl s_server, flotilla server) that tells on its output when it is ready.
/// Its output is drained continuously: a program whose pipe fills up blocks on its next log line.
public final class BackgroundProcess: @unchecked Sendable {  // the buffer is guarded by `condition`
    let process = Process()
    let output = Pipe()
    let condition = NSCondition()
    var buffer = ""
    var ended = false

    /// - Parameter directory: its working directory (`openssl s_server -WWW` serves the files there).
    public init(_ executable: String, _ arguments: [String], directory: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : try ProcessRunner.which(executable))
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = Pipe()
        try process.run()
        let handle = output.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { ended = true } else { buffer += String(decoding: chunk, as: UTF8.self) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    /// Waits until a line of its output contains `marker`, and returns that line; throws when the process ends
    /// first or `seconds` pass.
    public func waitForLine(containing marker: String, within seconds: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = buffer.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            if ended {
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "exited before printing \(marker): \(buffer)"])
            }
            if !condition.wait(until: deadline) {
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "did not print \(marker) within \(Int(seconds)) s: \(buffer)"])
            }
        }
    }

    /// Kills it. Foundation's waitUntilExit can hang on Linux when called from a concurrency thread, so the
    /// process is killed outright and reaped by Foundation's own child monitor.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The flotilla binary as a user runs it.
public func flotilla(_ arguments: [String]) async throws -> ProcessResult {
    try await ProcessRunner.run(ProcessRunner.flotillaBinary, arguments)
}

extension ProcessRunner {
    /// `run` on Dispatch's global queue. It shares its few threads with the concurrency pool, which also limits
    /// how many programs the suite runs at once: given a thread each, forty tests start forty programs together
    /// on two cores, and the in-process tests' time limits run out.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil, limit: Double = 120
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(executable, arguments, stdin: stdin, directory: nil, limit: limit) })
            }
        }
    }
}

extension BackgroundProcess {
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` and waits (bounded, without blocking a concurrency thread) until the process has exited.
    public func terminate(signal: Int32 = SIGTERM, within seconds: Double = 15) async -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        let pid = process.processIdentifier
        var status = ProcessExit.status(of: process, pid: pid)
        while status == nil, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            status = ProcessExit.status(of: process, pid: pid)
        }
        return status
    }

    /// Waits until a line of its output contains `marker`, without holding a thread of the concurrency pool (two
    /// here: a blocked wait in an async test stalls every other test), and returns that line.
    public func line(containing marker: String, within seconds: Double = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let (text, done) = { condition.lock(); defer { condition.unlock() }; return (buffer, ended) }()
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            if done { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "exited before printing \(marker): \(text)"]) }
            if Date() > deadline {
                throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "did not print \(marker) within \(Int(seconds)) s: \(text)"])
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Everything it printed so far.
    public var printed: String {
        condition.lock()
        defer { condition.unlock() }
        return buffer
    }
}

/// Reads a pipe on its own thread until its end of file.
final class PipeCollector: @unchecked Sendable {  // `data` and `ended` are guarded by `condition`
    let condition = NSCondition()
    var data = Data()
    var ended = false

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { ended = true } else { data.append(chunk) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    /// What was read, once the pipe ended or, when something else still holds it open, after a short grace.
    func collected(grace: TimeInterval = 0.2) -> String {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(grace)
        while !ended, condition.wait(until: deadline) {}
        return String(decoding: data, as: UTF8.self)
    }
}

/// Whether a child has exited, and how. Foundation on Linux sometimes never reaps a child that has exited (its
/// SIGCHLD handling races with other children starting), leaving `isRunning` true for ever; a zombie's exit code is
/// read from `/proc/<pid>/stat` instead, without reaping it, so Foundation may still do so.
enum ProcessExit {
    static func status(of process: Process, pid: Int32) -> Int32? {
        if !process.isRunning { return process.terminationStatus }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is the first, exit_code (as waitpid reports it) the last.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.first == "Z", let raw = fields.last.flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else { return nil }
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }
}
