import Testing

@Suite struct PatterningLayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
