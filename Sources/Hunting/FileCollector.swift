#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The formats a hunt reads.
public enum FileFormat: String, Sendable {
    case evtx, json
}

/// Finds the files to hunt under the given paths and detects their format from their first bytes.
public enum FileCollector {
    /// Files named on the command line are always tried; inside folders, files with `.evtx`, `.json`,
    /// `.jsonl` or `.ndjson` extensions (any case) are. Folders are walked in sorted order.
    public static func collect(
        _ path: String, into found: inout [(path: String, format: FileFormat)],
        skipped: inout [(path: String, reason: String)], explicit: Bool = true
    ) {
        var visited: Set<[UInt64]> = []
        collect(path, into: &found, skipped: &skipped, visited: &visited)
    }

    static func collect(
        _ path: String, into found: inout [(path: String, format: FileFormat)],
        skipped: inout [(path: String, reason: String)], visited: inout Set<[UInt64]>
    ) {
        var listed: [Listed] = []
        list(path, into: &listed, visited: &visited)
        for entry in listed {
            if entry.mayBeFolder && isFolder(entry.path) {
                collect(entry.path, into: &found, skipped: &skipped, visited: &visited)
                continue
            }
            switch entry.problem.map(Result<FileFormat, Reason>.failure) ?? detect(entry.path) {
            case .success(let f): found.append((entry.path, f))
            case .failure(let reason): skipped.append((entry.path, reason.message))
            }
        }
    }

    /// A file to hunt, or a path that could not be read (with the reason).
    public struct Listed: Sendable {
        public var path: String
        var problem: Reason?
        /// A link (or an entry of unknown type) with a hunted extension: listed without a `stat`, which
        /// would walk the link's target path once more than opening it does; whoever opens it checks
        /// whether it is a folder (then hunted as one, in its place).
        var mayBeFolder = false
    }

    /// Whether `path` is a folder (following links).
    static func isFolder(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether the open file `fd` is a folder.
    static func isFolder(descriptor fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The files to hunt under `path`, in order, without opening them: `path` itself when it is not a
    /// folder, else the files of its folders with a hunted extension. Their formats are detected by
    /// ``detect(_:)``, which can run on many files at once.
    public static func list(_ path: String, into listed: inout [Listed]) {
        var visited: Set<[UInt64]> = []
        list(path, into: &listed, visited: &visited)
    }

    /// `visited` holds the folders already walked (device and inode): each folder is walked once, at the
    /// first place it is reached, however many links lead to it. (Links to an ancestor made the walk
    /// repeat until the path was too long, and two links per level made it exponential.)
    static func list(_ path: String, into listed: inout [Listed], visited: inout Set<[UInt64]>) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            listed.append(Listed(path: path, problem: Reason(message: String(cString: strerror(errno)))))
            return
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            listed.append(Listed(path: path))
            return
        }
        guard visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else { return }
        // The entry's type from readdir spares a stat per file; links and unknown types are stat'ed.
        guard let entries = entries(of: path) else {
            listed.append(Listed(path: path, problem: Reason(message: String(cString: strerror(errno)))))
            return
        }
        for (name, type) in entries {
            let child = path.hasSuffix("/") ? path + name : path + "/" + name
            let hunted = isHunted(name)
            var isDirectory = type == UInt8(DT_DIR)
            if type != UInt8(DT_DIR) && type != UInt8(DT_REG) {
                if hunted {
                    // Most likely a linked log file: its opener tells a linked folder apart.
                    listed.append(Listed(path: child, mayBeFolder: true))
                    continue
                }
                var cst = stat()
                guard stat(child, &cst) == 0 else { continue }
                isDirectory = (cst.st_mode & S_IFMT) == S_IFDIR
            }
            if isDirectory {
                list(child, into: &listed, visited: &visited)
            } else if hunted {
                listed.append(Listed(path: child))
            }
        }
    }

    /// The files inside the folders among `paths` (walked in sorted order, links followed) that the hunt
    /// does not list, having no event-log extension: `investigate` reads them as suspicious files.
    public static func otherFiles(under paths: [String]) -> [String] {
        var out: [String] = []
        // Each folder once (by device and inode): links to a folder's own ancestors do not loop.
        var visited: Set<[UInt64]> = []
        func walk(_ folder: String, depth: Int) {
            var fst = stat()
            guard depth < 64, stat(folder, &fst) == 0, visited.insert([UInt64(fst.st_dev), UInt64(fst.st_ino)]).inserted,
                let names = entries(of: folder)
            else { return }
            for (name, _) in names {
                let child = folder.hasSuffix("/") ? folder + name : folder + "/" + name
                var st = stat()
                guard stat(child, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    walk(child, depth: depth + 1)
                } else if (st.st_mode & S_IFMT) == S_IFREG && !isHunted(name) {
                    out.append(child)
                }
            }
        }
        for path in paths where isFolder(path) { walk(path, depth: 0) }
        return out
    }

    /// The entries of `folder` (without `.` and `..`), sorted by name, with readdir's type; `nil` when it
    /// cannot be opened (`errno` says why).
    static func entries(of folder: String) -> [(name: String, type: UInt8)]? {
        guard let dir = opendir(folder) else { return nil }
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { entries.append((name, entry.pointee.d_type)) }
        }
        closedir(dir)
        return entries.sorted { $0.name < $1.name }
    }

    /// Whether a file in a folder is hunted: `.evtx`, `.json`, `.jsonl` or `.ndjson`, any case.
    static func isHunted(_ name: String) -> Bool {
        let lower = name.lowercased()
        return [".evtx", ".json", ".jsonl", ".ndjson"].contains { lower.hasSuffix($0) }
    }

    /// Why a file that is neither EVTX nor JSON is not hunted (`investigate` reads such files as
    /// suspicious files).
    public static let unknownFormat = "unknown format (neither EVTX nor JSON)"

    /// Why a file is not hunted.
    public struct Reason: Error, Sendable {
        public var message: String
    }

    /// The format of the file at `path`, from its first bytes.
    public static func detect(_ path: String) -> Result<FileFormat, Reason> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(Reason(message: String(cString: strerror(errno)))) }
        defer { close(fd) }
        return detect(descriptor: fd, path: path)
    }

    /// `open(path, O_RDONLY)` (for callers whose own `open` hides the C function).
    static func openReadOnly(_ path: String) -> Int32 { open(path, O_RDONLY) }

    /// The format of the file open as `fd` (at its start), read from `path`, from its first bytes; the
    /// descriptor stays open and its position moves.
    static func detect(descriptor fd: Int32, path: String) -> Result<FileFormat, Reason> {
        var head = [UInt8](repeating: 0, count: 512)
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, 512) }
        guard n > 0 else { return .failure(Reason(message: n == 0 ? "empty file" : String(cString: strerror(errno)))) }
        if n >= 8 && head[0..<8].elementsEqual("ElfFile\0".utf8) { return .success(.evtx) }
        var i = 0
        if n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF { i = 3 }
        while i < n && [0x20, 0x09, 0x0A, 0x0D].contains(head[i]) { i += 1 }
        if i < n && (head[i] == UInt8(ascii: "{") || head[i] == UInt8(ascii: "[")) { return .success(.json) }
        if path.lowercased().hasSuffix(".evtx") { return .success(.evtx) }  // damaged header: chunks are still scanned
        return .failure(Reason(message: unknownFormat))
    }

    /// Reads a whole file.
    static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            if n <= 0 { break }
            done += n
        }
        out.removeLast(out.count - done)
        return out
    }
}
