import Testing

@Suite struct KnowledgeLayoutTests {
    @Test func moduleBuilds() { #expect(Bool(true)) }
}
