/// One unit as the check-in reports it: an input, or the output a component's inputs go to.
struct UnitReport: Sendable {
    enum Kind: String, Sendable {
        case input, output
    }

    var kind: Kind
    /// The input's id, or the output's.
    var id: String
    /// The input type the unit's component is named after.
    var type: String
    var outputID: String
    var health: UnitHealth

    /// `filestream-default`: the input type and the output, as Elastic Agent names components.
    var componentID: String { "\(DataPipeline.componentType(type))-\(outputID)" }
}
