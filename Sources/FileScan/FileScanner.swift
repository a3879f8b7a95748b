import COpenSSL
import Foundation
import FuzzyHash

/// A suspicious file as `investigate` reads it: its hashes, its TLSH and ssdeep digests and the YARA
/// rules it matches.
public struct ScannedFile: Sendable {
    public var path: String
    public var size: Int
    public var md5: String
    public var sha1: String
    public var sha256: String
    public var ssdeep: String?
    /// `nil` for files TLSH cannot describe (under 50 bytes, or too little variety).
    public var tlsh: String?
    public var matches: [YARAMatch]
    /// Why the YARA scan failed (a timeout, for instance), when it did: the hashes and digests stand.
    public var yaraProblem: String?

    /// MD5, SHA-1 and SHA-256, as the knowledge base's indicators give file hashes.
    public var hashes: [String] { [md5, sha1, sha256] }
}

/// Reads suspicious files: hashes (MD5, SHA-1, SHA-256 through libcrypto), ssdeep (libfuzzy), TLSH
/// (``FuzzyHash/TLSHDigest``) and YARA matches (libyara).
public enum FileScanner {
    /// Files larger than this are not read (a disk image is not a suspicious file).
    public static let sizeLimit = 512 << 20

    public enum Problem: Error, CustomStringConvertible {
        case unreadable(String, String)
        case tooLarge(String, Int)
        case empty(String)
        public var description: String {
            switch self {
            case .unreadable(let path, let why): return "\(path): cannot read: \(why)"
            case .tooLarge(let path, let size): return "\(path): \(size) bytes, over the \(FileScanner.sizeLimit >> 20) MiB limit for a suspicious file; not scanned"
            case .empty(let path): return "\(path): empty file"
            }
        }
    }

    /// Scans the file at `path` (links followed) with `rules` (no YARA scan without rules). The file is
    /// mapped, not copied, and its size checked on the file itself.
    public static func scan(_ path: String, rules: YARARules?) throws -> ScannedFile {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Problem.unreadable(path, String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        guard size <= sizeLimit else { throw Problem.tooLarge(path, size) }
        guard size > 0 else { throw Problem.empty(path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw Problem.unreadable(path, (error as NSError).localizedDescription)
        }
        guard data.count <= sizeLimit else { throw Problem.tooLarge(path, data.count) }
        return data.withUnsafeBytes { bytes in
            var file = ScannedFile(
                path: path, size: bytes.count, md5: digest(bytes, EVP_md5()), sha1: digest(bytes, EVP_sha1()),
                sha256: digest(bytes, EVP_sha256()), ssdeep: SSDeepDigest(of: bytes)?.text, tlsh: TLSHDigest(of: bytes)?.text,
                matches: [])
            do {
                file.matches = try rules?.scan(bytes, path: path) ?? []
            } catch {
                file.yaraProblem = "\(error)"
            }
            return file
        }
    }

    /// Scans `paths` on up to `threads` threads (the rules are shared; each scan has its own libyara
    /// scanner); the results come in the order of `paths`.
    public static func scan(_ paths: [String], rules: YARARules?, threads: Int) -> [Result<ScannedFile, any Error>] {
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var results: [Result<ScannedFile, any Error>?]
            init(_ n: Int) { results = Array(repeating: nil, count: n) }
            func take() -> Int {
                lock.lock()
                defer { lock.unlock() }
                next += 1
                return next - 1
            }
            func put(_ i: Int, _ r: Result<ScannedFile, any Error>) {
                lock.lock()
                results[i] = r
                lock.unlock()
            }
        }
        let shared = Shared(paths.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, paths.count))) { _ in
            while true {
                let i = shared.take()
                guard i < paths.count else { return }
                shared.put(i, Result { try scan(paths[i], rules: rules) })
            }
        }
        return shared.results.map { $0! }
    }

    /// Lower-case hex digest of `bytes` with `algorithm`.
    static func digest(_ bytes: UnsafeRawBufferPointer, _ algorithm: OpaquePointer?) -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var size: UInt32 = 0
        guard EVP_Digest(bytes.baseAddress, bytes.count, &out, &size, algorithm, nil) == 1 else { return "" }
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for b in out.prefix(Int(size)) {
            text.append(hex[Int(b >> 4)])
            text.append(hex[Int(b & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
