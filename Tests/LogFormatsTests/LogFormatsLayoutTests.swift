import Testing

@Suite struct LogFormatsLayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
