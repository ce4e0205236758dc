import FleetTLS
import Testing

/// `NO_PROXY` read as curl and Go programs read it.
@Suite(.timeLimit(.minutes(5))) struct NoProxyRulesTests {
    @Test func hostSuffixesMatchTheHostAndItsSubdomainsOnly() {
        let rules = NoProxyRules("example.com, .corp ,Internal.Lan.")
        #expect(rules.excludes(host: "example.com", port: 443))
        #expect(rules.excludes(host: "fleet.example.com", port: 8220))
        #expect(!rules.excludes(host: "notexample.com", port: 443), "a suffix matches at a dot, not inside a name")
        #expect(rules.excludes(host: "fleet.corp", port: 443))
        #expect(rules.excludes(host: "a.internal.lan", port: 443), "case and a trailing dot do not matter")
        #expect(!rules.excludes(host: "example.org", port: 443))
    }

    @Test func addressesAndCIDRRangesMatchLiteralAddresses() {
        let rules = NoProxyRules("10.0.0.0/8,192.168.1.7,fd00::/8,::1")
        #expect(rules.excludes(host: "10.20.30.40", port: 443))
        #expect(!rules.excludes(host: "11.0.0.1", port: 443))
        #expect(rules.excludes(host: "192.168.1.7", port: 9200))
        #expect(!rules.excludes(host: "192.168.1.8", port: 9200))
        #expect(rules.excludes(host: "fd12:3456::1", port: 443))
        #expect(rules.excludes(host: "[::1]", port: 443))
        #expect(!rules.excludes(host: "2001:db8::1", port: 443))
        #expect(!NoProxyRules("10.0.0.0/33").excludes(host: "10.0.0.1", port: 443), "an impossible prefix is ignored")
    }

    @Test func aPortLimitsARuleToThatPort() {
        let rules = NoProxyRules("fleet.example.com:8220,[fd00::1]:9200,127.0.0.1:5601")
        #expect(rules.excludes(host: "fleet.example.com", port: 8220))
        #expect(!rules.excludes(host: "fleet.example.com", port: 443))
        #expect(rules.excludes(host: "fd00::1", port: 9200))
        #expect(!rules.excludes(host: "fd00::1", port: 443))
        #expect(rules.excludes(host: "127.0.0.1", port: 5601))
        #expect(!rules.excludes(host: "127.0.0.1", port: 8220))
    }

    @Test func anAsteriskExcludesEveryHostAndEmptyEntriesNothing() {
        #expect(NoProxyRules("*").excludes(host: "anything.example", port: 1))
        #expect(!NoProxyRules(" , ,").excludes(host: "fleet.example.com", port: 443))
        #expect(!NoProxyRules("").excludes(host: "fleet.example.com", port: 443))
    }

    @Test func theEnvironmentsProxySkipsWhatNoProxyExcludes() throws {
        let environment = ["HTTPS_PROXY": "http://proxy.example.com:3128", "NO_PROXY": "10.0.0.0/8,fleet.example.com:8220"]
        #expect(try ForwardProxy.fromEnvironment(for: "10.1.2.3", port: 8220, environment: environment) == nil)
        #expect(try ForwardProxy.fromEnvironment(for: "fleet.example.com", port: 8220, environment: environment) == nil)
        #expect(try ForwardProxy.fromEnvironment(for: "fleet.example.com", port: 443, environment: environment) != nil)
    }
}
