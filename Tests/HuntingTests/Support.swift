import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Helpers shared by the Hunting tests.
enum Support {
    /// `../shared/corpus/<sub>` next to the package root, or `nil` (and a printed reason) when absent.
    static func corpus(_ sub: String, file: String = #filePath) -> String? {
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/HuntingTests/Support.swift
        let path = parts.joined(separator: "/") + "/../shared/corpus/" + sub
        var st = stat()
        if stat(path, &st) == 0 { return path }
        print("skipping: corpus not found at \(path)")
        return nil
    }

    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Every file named `name` under `dir`, sorted.
    static func find(_ name: String, under dir: String) -> [String] {
        var out: [String] = []
        guard let d = opendir(dir) else { return out }
        var names: [String] = []
        while let e = readdir(d) {
            let n = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if n != "." && n != ".." { names.append(n) }
        }
        closedir(d)
        for n in names.sorted() {
            let p = dir + "/" + n
            var st = stat()
            guard stat(p, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR { out += find(name, under: p) } else if n == name { out.append(p) }
        }
        return out
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() -> String {
        var template = Array(((ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") + "/sightline-hunt-XXXXXX").utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return p.map { String(cString: $0) } ?? "/tmp"
    }

    static func write(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var t = text
        t.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}
