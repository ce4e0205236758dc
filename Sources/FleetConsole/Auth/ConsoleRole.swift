/// What a console user or API key may do.
public enum ConsoleRole: String, Codable, Sendable, CaseIterable {
    /// Reads and changes everything.
    case admin
    /// Reads everything; changes nothing.
    case viewer
}
