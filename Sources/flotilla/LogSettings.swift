import FleetTLS
import Foundation
import Logging

/// `--log-level` and `--log-format`, which every command takes. They are taken out of the arguments before
/// swift-argument-parser sees them, so that no command has to declare them and none can forget to, and they are
/// applied by whichever command starts logging.
struct LogSettings: Sendable {
    enum Format: String, CaseIterable, Sendable {
        /// swift-log's own lines, for a person at a terminal.
        case text
        /// One JSON object per line, for a log shipper.
        case json
    }

    /// nil: the command's own default (info; warning for the quickstart, whose output is sentences).
    var level: Logger.Level?
    var format = Format.text

    /// Set once by `Flotilla.main` before any command runs.
    nonisolated(unsafe) static var current = LogSettings()

    /// Takes `--log-level LEVEL`, `--log-format FORMAT` (or their `=` forms) out of `arguments`, up to a `--`.
    static func extract(_ arguments: inout [String]) throws(FlotillaError) -> LogSettings {
        var settings = LogSettings()
        var kept: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                kept += arguments[index...]
                break
            }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard name == "--log-level" || name == "--log-format" else {
                kept.append(argument)
                index += 1
                continue
            }
            let value: String
            if let equals = argument.firstIndex(of: "=") {
                value = String(argument[argument.index(after: equals)...])
            } else if index + 1 < arguments.count {
                index += 1
                value = arguments[index]
            } else {
                throw FlotillaError("\(name) needs a value", hint: "write it like \(name)=\(name == "--log-level" ? "debug" : "json")")
            }
            if name == "--log-level" {
                guard let level = Logger.Level(rawValue: value.lowercased()) else {
                    let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                    throw FlotillaError("--log-level \(value) is not a level", hint: "use one of \(levels)")
                }
                settings.level = level
            } else {
                guard let format = Format(rawValue: value.lowercased()) else {
                    throw FlotillaError("--log-format \(value) is not a format", hint: "use text or json")
                }
                settings.format = format
            }
            index += 1
        }
        arguments = kept
        return settings
    }

    /// Starts logging to standard error in the chosen format and level; `wrap` puts a handler around each one (the
    /// agent's log tap, which keeps recent lines for the monitoring input).
    func bootstrap(
        defaultLevel: Logger.Level = .info, wrap: (@Sendable (String, any LogHandler) -> any LogHandler)? = nil
    ) {
        let level = self.level ?? defaultLevel
        let format = self.format
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return wrap?(label, handler) ?? handler
        }
    }
}
