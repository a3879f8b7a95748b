import Testing

@Suite struct SightlineCLILayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
