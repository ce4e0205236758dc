import Foundation
import NIOCore

/// Why a listener could not bind, in words, for the sentences of every listener (Fleet Server, console, metrics).
public enum ListenFailure {
    /// The reason when `error` is a bind failure a user can act on, nil for anything else.
    public static func reason(_ error: any Error) -> String? {
        switch (error as? IOError)?.errnoCode {
        case EADDRINUSE: "another program already listens there"
        case EACCES: "this user may not use that port"
        case EADDRNOTAVAIL: "this host has no such address"
        default: nil
        }
    }
}
