import FleetStore
import FleetTLS
import Foundation
import Hummingbird
import Prometheus

/// What a Fleet Server counts for operators, in Prometheus' text format on its own listener (`--metrics-port`).
///
/// Counters and histograms are updated where things happen; gauges that describe the present (connections,
/// waiting check-ins, certificate days left) are read when a scrape asks, so nothing keeps them in step.
public final class FleetServerMetrics: Sendable {
    /// How a check-in ended.
    public enum CheckinResult: String, CaseIterable, Sendable, RequestResult {
        /// Answered with a newer policy or with actions.
        case delivered
        /// Answered with nothing new when its poll timeout passed.
        case timeout
        /// Answered because the server was stopping or the store went away.
        case shutdown
        /// Told to come back later (429 or 503 with Retry-After).
        case paced
        /// Refused (4xx) or failed (5xx).
        case refused, failed
    }

    /// How an enrollment ended.
    public enum EnrollmentResult: String, CaseIterable, Sendable, RequestResult {
        case enrolled, refused, paced, failed
    }

    /// A result enum that also names the three ways a request can throw, by the same raw values.
    protocol RequestResult: RawRepresentable<String> {}

    /// How a request that threw ended.
    enum Failure: String {
        /// Told to come back later: 429, or 503 with Retry-After (also the store's "retry later").
        case paced
        /// Refused (4xx).
        case refused
        /// Failed otherwise (the store, a bug).
        case failed

        init(_ error: any Error) {
            guard let error = error as? APIError else {
                self = .failed
                return
            }
            if error.status == .tooManyRequests || (error.status == .serviceUnavailable && error.headers[.retryAfter] != nil) {
                self = .paced
            } else {
                self = error.status.code < 500 ? .refused : .failed
            }
        }
    }

    /// A metric name under `flotilla_fleet_server_`.
    static func name(_ base: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "flotilla", subsystem: "fleet_server", metricName: base, unitName: unit, helpText: help)
    }

    public let registry = PrometheusCollectorRegistry()
    let checkins: [CheckinResult: Counter]
    let enrollments: [EnrollmentResult: Counter]
    let fanOut: DurationHistogram
    let storeErrors: Counter
    let storeLatency: DurationHistogram
    let bookkeepingWrites: Counter
    let connectedAgents: Gauge
    let waitingCheckins: Gauge
    let openFilesLimit: Gauge
    let agentCapacity: Gauge

    public init() {
        let registry = self.registry, name = Self.name
        let checkinName = name("checkins", "total", "Check-ins answered, by result.")
        checkins = Dictionary(uniqueKeysWithValues: CheckinResult.allCases.map {
            ($0, registry.makeCounter(descriptor: checkinName, labels: [("result", $0.rawValue)]))
        })
        let enrollmentName = name("enrollments", "total", "Enrollment requests answered, by result.")
        enrollments = Dictionary(uniqueKeysWithValues: EnrollmentResult.allCases.map {
            ($0, registry.makeCounter(descriptor: enrollmentName, labels: [("result", $0.rawValue)]))
        })
        fanOut = registry.makeDurationHistogram(
            descriptor: name("policy_fanout", "seconds", "From a policy change's notice to each waiting agent's answer."),
            buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
        )
        storeLatency = registry.makeDurationHistogram(
            descriptor: name("store_request", "seconds", "How long the agent API's store requests took."),
            buckets: [.microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
                      .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5)]
        )
        storeErrors = registry.makeCounter(descriptor: name("store_errors", "total", "Agent API store requests that failed."))
        bookkeepingWrites = registry.makeCounter(
            descriptor: name("checkin_bookkeeping_rows", "total", "Agents' check-in bookkeeping rows written to the store.")
        )
        connectedAgents = registry.makeGauge(descriptor: name("connections", "", "Open agent connections (TLS)."))
        waitingCheckins = registry.makeGauge(descriptor: name("waiting_checkins", "", "Check-ins waiting for news."))
        openFilesLimit = registry.makeGauge(descriptor: name("open_files_limit", "", "The process' open-files limit."))
        agentCapacity = registry.makeGauge(
            descriptor: name("agent_capacity", "", "About how many agents the open-files limit leaves room for.")
        )
        // Every reason shows from the start, at 0, so a rate over it is defined before the first failure.
        for reason in HandshakeDiagnosis.ServerFailure.allCases { _ = handshakeFailures(reason.rawValue) }
    }

    func checkin(_ result: CheckinResult) { checkins[result]?.increment() }
    func enrollment(_ result: EnrollmentResult) { enrollments[result]?.increment() }

    /// Counts a TLS handshake that failed, by a short reason (`untrusted_certificate`, `no_certificate`, ...).
    func handshakeFailed(reason: String) {
        handshakeFailures(reason).increment()
    }

    func handshakeFailures(_ reason: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("tls_handshake_failures", "total", "Failed TLS handshakes with agents, by reason."),
            labels: [("reason", reason)]
        )
    }

    /// Days until a certificate this server presents or signs with ends (negative once it has).
    func certificateDaysLeft(_ certificate: String, notAfter: Date, now: Date = Date()) {
        registry.makeGauge(
            descriptor: Self.name(
                "certificate_days_left", "",
                "Days until the certificate ends: the listener's, and the agent CA's when agents' are issued."
            ),
            labels: [("certificate", certificate)]
        ).set(notAfter.timeIntervalSince(now) / 86_400)
    }

    /// Times one store request for the agent API and counts it when it fails.
    func timeStore<T>(_ body: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        do {
            let value = try await body()
            storeLatency.record(ContinuousClock.now - started)
            return value
        } catch {
            storeLatency.record(ContinuousClock.now - started)
            storeErrors.increment()
            throw error
        }
    }
}

extension FleetServerMetrics.RequestResult {
    /// The result of a request that threw `failure`.
    init(failure: any Error) {
        self.init(rawValue: FleetServerMetrics.Failure(failure).rawValue)!
    }
}
