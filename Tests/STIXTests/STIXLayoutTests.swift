import Testing

@Suite struct STIXLayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
