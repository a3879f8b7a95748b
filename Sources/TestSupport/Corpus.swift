import Foundation

/// Locates the shared test corpus (`../shared/corpus` beside the package) for corpus-backed tests.
public enum Corpus {
    /// The package's root folder.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The corpus folder, or `nil` (with a note on standard error) when it is absent.
    public static func folder(_ why: String = "") -> URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        if FileManager.default.fileExists(atPath: url.path) { return url }
        FileHandle.standardError.write(Data("skipped (no ../shared/corpus): \(why)\n".utf8))
        return nil
    }

    /// A file of the corpus, or `nil` when the corpus is absent.
    public static func file(_ relativePath: String) -> URL? {
        guard let root = folder(relativePath) else { return nil }
        return root.appendingPathComponent(relativePath)
    }

    /// True when the corpus is present (for `.enabled(if:)` traits).
    public static var isPresent: Bool {
        FileManager.default.fileExists(
            atPath: packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus").path)
    }

    /// The Python interpreter with the reference tools (`SIGHTLINE_PYTHON`, set by `make test`).
    public static var python: String? {
        guard let p = ProcessInfo.processInfo.environment["SIGHTLINE_PYTHON"], !p.isEmpty,
            FileManager.default.isExecutableFile(atPath: p)
        else { return nil }
        return p
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
