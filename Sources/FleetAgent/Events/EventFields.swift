/// The fields every event of one input shares, written once as the end of its documents: the data stream, the
/// host and agent, the input type and the policy's tags.
enum EventFields {
    /// `,"data_stream":{…},"event":{…},"host":{…},"agent":{…},"input":{…},"tags":[…]}`.
    static func suffix(type: String, dataset: String, namespace: String, inputType: String, tags: [String], context: InputContext) -> [UInt8] {
        var json = EventJSON()
        json.raw(",\"data_stream\":{\"type\":")
        json.string(type)
        json.raw(",\"dataset\":")
        json.string(dataset)
        json.raw(",\"namespace\":")
        json.string(namespace)
        json.raw("},\"event\":{\"dataset\":")
        json.string(dataset)
        json.raw("},\"host\":{\"name\":")
        json.string(context.hostName)
        json.raw("},\"agent\":{\"id\":")
        json.string(context.agentID)
        json.raw(",\"version\":")
        json.string(context.agentVersion)
        json.raw(",\"type\":\"flotilla\"},\"input\":{\"type\":")
        json.string(inputType)
        json.raw("}")
        if !tags.isEmpty {
            json.raw(",\"tags\":[")
            for (position, tag) in tags.enumerated() {
                if position > 0 { json.raw(",") }
                json.string(tag)
            }
            json.raw("]")
        }
        json.raw("}")
        return json.bytes
    }
}
