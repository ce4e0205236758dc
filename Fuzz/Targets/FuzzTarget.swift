import Foundation

/// One parser fed untrusted bytes: by libFuzzer in `scripts/fuzz.sh`, and by the corpus tests, which replay every
/// committed seed and every crash found so far.
public protocol FuzzTarget: Sendable {
    /// The name on the command line and the corpus folder's (`Fuzz/corpus/<name>`).
    var name: String { get }
    /// Parses `data` the way the product does. Bad input must end in `.refused` with a sentence, never a crash.
    func run(_ data: Data) -> FuzzOutcome
}

/// What a parser made of one input.
public enum FuzzOutcome: Sendable, Equatable {
    case accepted
    /// Refused with the sentence a user would read.
    case refused(String)
}

/// Every target, by name.
public enum FuzzTargets {
    public static let all: [any FuzzTarget] = [
        AgentRequestBodies(), PEMLoaders(), YAMLConfiguration(), AgentPolicy(), HTTPResponses(),
    ]

    public static func named(_ name: String) -> (any FuzzTarget)? {
        all.first { $0.name == name }
    }
}
