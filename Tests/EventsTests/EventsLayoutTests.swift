import Testing

@Suite struct EventsLayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
