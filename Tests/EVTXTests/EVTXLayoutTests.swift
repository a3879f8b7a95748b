import Testing

@Suite struct EVTXLayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
