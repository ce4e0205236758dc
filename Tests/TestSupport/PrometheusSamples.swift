/// A Prometheus text exposition read into samples by name with labels
/// (`flotilla_fleet_server_checkins_total{result="timeout"}`), for tests and the fleet simulator.
public enum PrometheusSamples {
    public static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
