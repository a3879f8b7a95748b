import Testing

@testable import Sigma

@Suite struct CIDRSetTests {
    /// The set answers exactly as comparing the address with every network one by one.
    @Test func agreesWithTheNetworksOneByOne() throws {
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var ranges: [CIDRRange] = []
        for _ in 0..<300 {
            let text: String
            switch next(4) {
            case 0: text = "10.\(next(4)).\(next(256)).0/\(16 + next(17))"
            case 1: text = "\(next(4) + 192).168.\(next(8)).\(next(256))/\(next(33))"
            case 2: text = "fe80::\(String(next(65536), radix: 16))/\(next(129))"
            default: text = "::ffff:10.\(next(4)).0.0/\(96 + next(33))"
            }
            ranges.append(try #require(CIDRRange(text)))
        }
        let set = CIDRSet(ranges)
        for _ in 0..<20_000 {
            let text: String
            switch next(5) {
            case 0: text = "10.\(next(4)).\(next(256)).\(next(256))"
            case 1: text = "\(next(4) + 192).168.\(next(8)).\(next(256))"
            case 2: text = "fe80::\(String(next(65536), radix: 16)):\(next(10))"
            case 3: text = "::ffff:10.\(next(4)).\(next(256)).\(next(256))"
            default: text = "[fe80::\(next(9))%eth0]"
            }
            let address = try #require(CIDRRange.parseAddress(text), "\(text)")
            #expect(set.contains(address) == ranges.contains { $0.contains(address) }, "\(text)")
        }
    }

    @Test func aFieldWithManyNetworksUsesTheSet() throws {
        let values = (0..<10).map { SigmaValue.string("10.\($0).0.0/16") }
        let t = try FieldTest(key: "DestinationIp|cidr", values: values, options: CompileOptions())
        #expect(t.networks != nil)
        let few = try FieldTest(key: "DestinationIp|cidr", values: Array(values.prefix(3)), options: CompileOptions())
        #expect(few.networks == nil)
    }
}
