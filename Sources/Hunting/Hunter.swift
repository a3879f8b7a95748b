import EVTX
import Events
import Sigma
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a hunt found and what it had to skip.
public struct HuntResult: Sendable {
    /// Detections in deterministic order: by input file (in the order found), then record order;
    /// correlation detections after them, by time.
    public var sightings: [Sighting] = []
    /// Files read, with the events each held.
    public var files: [HuntedFile] = []
    /// Files that could not be read or whose format is unknown, with the reason.
    public var skippedFiles: [(path: String, reason: String)] = []
    /// Events read in all.
    public var events = 0
    /// Damaged records and chunks skipped (EVTX) and unreadable lines (JSON).
    public var skippedRecords = 0
    /// Problems, located, one line each (capped per file).
    public var problems: [String] = []
    /// Rule evaluations after the index and the prefilter (for measurements).
    public var evaluations = 0
    /// Prefilter cache look-ups answered from the cache, and all look-ups (for measurements).
    public var scanCacheHits = 0
    public var scanCacheLookups = 0
    /// Regex tests that neither PCRE2 engine could decide within its limits (counted as no match).
    public var undecidedRegexTests = 0
}

/// One file that was hunted.
public struct HuntedFile: Sendable {
    public var path: String
    public var format: String
    public var events: Int
    public var skippedRecords: Int
}

/// Progress figures, for a progress bar.
public struct HuntProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var events: Int
    public var sightings: Int
}

/// Runs readers and Sigma over files and folders in parallel and produces ``Sighting``s.
///
/// Work is split into items, one per JSON file and one per batch of EVTX chunks, so a single large file
/// still uses every thread. Each worker owns a chunk parser and an ``EventView``; results are kept per
/// item and concatenated in item order, so the output does not depend on the thread count. Memory holds
/// one batch of chunks per worker plus the detections.
public final class Hunter: Sendable {
    public let ruleSet: RuleSet
    public let correlations: [SigmaCorrelation]
    /// Rules referenced by correlations (by rule index), with the fields the correlations need.
    let correlationFields: [Int: [String]]
    /// Rules whose own matches are not reported (referenced by a correlation that does not `generate`).
    let suppressed: Set<Int>
    /// Chunks per work item.
    public let chunksPerItem: Int

    /// Read every field of every event even when no rule tests it (to measure what reading costs).
    public let readsAllFields: Bool

    /// What each rule's sightings repeat, worked out once (not per sighting).
    struct RuleFacts: Sendable {
        var id: String
        var title: String
        var level: SigmaLevel
        var tags: [String]
        var attack: [String]
    }
    let facts: [RuleFacts]
    /// Rule-set copies for the workers after the first (see ``prepare(threads:)``).
    let workerRuleSets = Mutex<[RuleSet]>([])

    /// Compiles the rule-set copies that `threads` workers match with (each worker after the first has
    /// its own, so that threads do not contend on reference counts), so that a caller timing the hunt
    /// counts them as compiling; ``hunt(paths:threads:progress:sink:)`` compiles any still missing.
    public func prepare(threads: Int) {
        let wanted = max(0, threads - 1)
        workerRuleSets.withLock { sets in
            while sets.count < wanted { sets.append(ruleSet.copy()) }
        }
    }

    public init(
        ruleSet: RuleSet, correlations: [SigmaCorrelation] = [], chunksPerItem: Int = 8, readsAllFields: Bool = false
    ) {
        self.ruleSet = ruleSet
        self.readsAllFields = readsAllFields
        facts = ruleSet.rules.map { r in
            RuleFacts(
                id: r.id ?? r.name ?? r.title, title: r.title, level: r.level ?? .informational, tags: r.tags,
                attack: r.attackTechniques)
        }
        self.correlations = correlations
        self.chunksPerItem = max(1, chunksPerItem)
        var fields: [Int: Set<String>] = [:]
        var suppressed = Set<Int>()
        for c in correlations {
            let indices = Correlator.ruleIndices(for: c, in: ruleSet.rules)
            for i in indices {
                var need = Set(c.groupBy)
                if let f = c.condition.field { need.formUnion(f.split(separator: ",").map(String.init)) }
                for (alias, perRule) in c.aliases {
                    need.remove(alias)
                    let r = ruleSet.rules[i]
                    if let n = r.name, let f = perRule[n] { need.insert(f) }
                    if let id = r.id, let f = perRule[id] { need.insert(f) }
                }
                fields[i, default: []].formUnion(need)
                if !c.generate { suppressed.insert(i) }
            }
        }
        self.correlationFields = fields.mapValues { $0.sorted() }
        self.suppressed = suppressed
    }

    enum Input: Sendable {
        case evtx(EVTXFile, chunks: Range<Int>)
        case json(String)
    }

    struct Item: Sendable {
        var file: Int
        var input: Input
    }

    struct ItemResult: Sendable {
        var sightings: [Sighting] = []
        var correlationEvents: [CorrelationEvent] = []
        /// What each correlation event's reference points to (indices local to the item).
        var correlationRecords: [(record: SightingRecord, computer: String)] = []
        var events = 0
        var skipped = 0
        var problems: [String] = []
    }

    /// Hunts every file under `paths` with `threads` workers.
    ///
    /// - Parameters:
    ///   - progress: called after each work item (from worker threads).
    ///   - sink: when given, receives the detections in their final order as soon as every earlier work
    ///     item is done (calls are serialized), and ``HuntResult/sightings`` stays empty: memory then
    ///     does not grow with the number of detections.
    public func hunt(
        paths: [String], threads: Int, progress: (@Sendable (HuntProgress) -> Void)? = nil,
        sink: (@Sendable ([Sighting]) -> Void)? = nil
    ) async -> HuntResult {
        var result = HuntResult()
        var listed: [FileCollector.Listed] = []
        // Each folder is walked once per hunt, however many links lead to it (and a link to an ancestor
        // does not walk it again).
        var visited: Set<[UInt64]> = []
        for p in paths { FileCollector.list(p, into: &listed, visited: &visited) }
        var found: [(path: String, format: FileFormat)] = []
        var items: [Item] = []
        var formats: [String] = []
        var openFiles: [Int: EVTXFile] = [:]
        // Files stay open from listing to reading only while the whole hunt keeps within half the
        // open-file limit (linked folders add their files as they are found).
        var descriptors = Hunter.descriptorBudget()
        func open(_ batch: [FileCollector.Listed]) async -> [Opened] {
            let keepOpen = batch.count <= descriptors
            if keepOpen { descriptors -= batch.count }
            return await Hunter.open(batch, threads: threads, keepOpen: keepOpen)
        }
        // A listed link that is a folder is hunted in its place, as if listed with its files.
        var pending: [([FileCollector.Listed], [Opened], Int)] = [(listed, await open(listed), 0)]
        while let (listed, opened, next) = pending.popLast() {
            guard next < listed.count else { continue }
            let entry = listed[next]
            let outcome = opened[next]
            pending.append((listed, opened, next + 1))
            let i = found.count
            switch outcome {
            case .folder:
                var inside: [FileCollector.Listed] = []
                FileCollector.list(entry.path, into: &inside, visited: &visited)
                pending.append((inside, await open(inside), 0))
            case .skipped(let reason):
                result.skippedFiles.append((entry.path, reason))
            case .unreadableEVTX(let reason):
                found.append((entry.path, .evtx))
                formats.append(FileFormat.evtx.rawValue)
                result.skippedFiles.append((entry.path, reason))
            case .evtx(let file):
                found.append((entry.path, .evtx))
                formats.append(FileFormat.evtx.rawValue)
                openFiles[i] = file
                var start = 0
                if file.chunkCount == 0 { items.append(Item(file: i, input: .evtx(file, chunks: 0..<0))) }
                while start < file.chunkCount {
                    let end = min(file.chunkCount, start + chunksPerItem)
                    items.append(Item(file: i, input: .evtx(file, chunks: start..<end)))
                    start = end
                }
            case .json:
                found.append((entry.path, .json))
                formats.append(FileFormat.json.rawValue)
                items.append(Item(file: i, input: .json(entry.path)))
            }
        }
        let itemCount = items.count
        let fileItems = Dictionary(grouping: items.indices, by: { items[$0].file }).mapValues(\.count)
        let state = SharedState()
        let workers = max(1, min(threads, max(1, itemCount)))
        let sendableItems = items
        let paths = found.map(\.path)
        let totalFiles = found.count
        let results = await withTaskGroup(of: [(Int, ItemResult)].self) { group in
            for w in 0..<workers {
                group.addTask {
                    let parser = EVTXChunkParser()
                    // Each worker gets its own compiled copy: shared objects would make the threads
                    // contend on their reference counts.
                    let prepared = w == 0 ? nil : self.workerRuleSets.withLock { w - 1 < $0.count ? $0[w - 1] : nil }
                    let rules = w == 0 ? self.ruleSet : prepared ?? self.ruleSet.copy()
                    let view = rules.makeView()
                    var done: [(Int, ItemResult)] = []
                    defer {
                        state.evaluations.add(view.evaluations, ordering: .relaxed)
                        let cache = view.scanCacheCounts
                        state.scanCacheHits.add(cache.hits, ordering: .relaxed)
                        state.scanCacheLookups.add(cache.lookups, ordering: .relaxed)
                        state.undecidedRegexTests.add(view.undecidedRegexTests, ordering: .relaxed)
                    }
                    while true {
                        let i = state.next.add(1, ordering: .relaxed).oldValue
                        if i >= itemCount { break }
                        let item = sendableItems[i]
                        var r = self.run(item, paths[item.file], parser: parser, rules: rules, view: view)
                        let found = r.sightings.count
                        if let sink {
                            let ready = r.sightings
                            r.sightings = []
                            state.reorder.withLock { st in
                                st.pending[i] = ready
                                while let next = st.pending.removeValue(forKey: st.next) {
                                    if !next.isEmpty { sink(next) }
                                    st.next += 1
                                }
                            }
                        }
                        done.append((i, r))
                        let events = state.events.add(r.events, ordering: .relaxed).newValue
                        let sightings = state.sightings.add(found, ordering: .relaxed).newValue
                        let fileFinished = state.itemsDone.withLock { d -> Bool in
                            d[item.file, default: 0] += 1
                            return d[item.file] == fileItems[item.file]
                        }
                        if fileFinished, case .evtx(let file, _) = item.input { file.closeUntilNeeded() }
                        let files =
                            fileFinished
                            ? state.filesDone.add(1, ordering: .relaxed).newValue : state.filesDone.load(ordering: .relaxed)
                        progress?(HuntProgress(filesDone: files, filesTotal: totalFiles, events: events, sightings: sightings))
                    }
                    return done
                }
            }
            var all: [(Int, ItemResult)] = []
            for await part in group { all.append(contentsOf: part) }
            return all.sorted { $0.0 < $1.0 }
        }
        var perFile: [Int: (events: Int, skipped: Int)] = [:]
        var correlationEvents: [CorrelationEvent] = []
        var correlationRecords: [(record: SightingRecord, computer: String)] = []
        for (i, r) in results {
            let base = correlationRecords.count
            correlationRecords.append(contentsOf: r.correlationRecords)
            correlationEvents.append(contentsOf: r.correlationEvents.map { e in
                var e = e
                e.reference += base
                return e
            })
            let f = items[i].file
            perFile[f, default: (0, 0)].events += r.events
            perFile[f, default: (0, 0)].skipped += r.skipped
            result.sightings.append(contentsOf: r.sightings)
            result.events += r.events
            result.skippedRecords += r.skipped
            for p in r.problems where result.problems.count < 1000 { result.problems.append("\(found[f].path): \(p)") }
        }
        for (i, f) in found.enumerated() where perFile[i] != nil || openFiles[i] != nil {
            let s = perFile[i] ?? (0, 0)
            result.files.append(HuntedFile(path: f.path, format: formats[i], events: s.events, skippedRecords: s.skipped))
        }
        result.evaluations = state.evaluations.load(ordering: .relaxed)
        result.scanCacheHits = state.scanCacheHits.load(ordering: .relaxed)
        result.scanCacheLookups = state.scanCacheLookups.load(ordering: .relaxed)
        result.undecidedRegexTests = state.undecidedRegexTests.load(ordering: .relaxed)
        if !correlations.isEmpty {
            let c = correlate(correlationEvents, correlationRecords)
            if let sink { if !c.isEmpty { sink(c) } } else { result.sightings.append(contentsOf: c) }
        }
        return result
    }

    /// How many files a hunt may keep open at once: half the soft open-file limit.
    static func descriptorBudget() -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
            guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        #else
            guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return 256 }
        #endif
        return Int(min(limit.rlim_cur, rlim_t(Int32.max))) / 2  // "unlimited" is rlim_t.max
    }

    /// What opening one listed file gave.
    enum Opened: Sendable {
        case folder
        case skipped(String)
        case evtx(EVTXFile)
        case unreadableEVTX(String)
        case json
    }

    /// Detects the formats of `listed` and opens the EVTX files, on up to `threads` threads (a hunt over
    /// thousands of files would otherwise spend its first seconds opening them one by one). Without
    /// `keepOpen`, each file's descriptor is closed until a worker reads it.
    static func open(_ listed: [FileCollector.Listed], threads: Int, keepOpen: Bool) async -> [Opened] {
        @Sendable func open(_ entry: FileCollector.Listed) -> Opened {
            if let problem = entry.problem { return .skipped(problem.message) }
            // One open per file: the descriptor that showed the format reads the EVTX file.
            let fd = FileCollector.openReadOnly(entry.path)
            guard fd >= 0 else { return .skipped(String(cString: strerror(errno))) }
            if entry.mayBeFolder && FileCollector.isFolder(descriptor: fd) {
                close(fd)
                return .folder
            }
            switch FileCollector.detect(descriptor: fd, path: entry.path) {
            case .failure(let reason):
                close(fd)
                return .skipped(reason.message)
            case .success(.json):
                close(fd)
                return .json
            case .success(.evtx):
                do {
                    // With more files than half the open-file limit, listed files stay closed until a
                    // worker reads them: a hunt must not hold a descriptor for each.
                    let file = try EVTXFile(descriptor: fd, path: entry.path)
                    if !keepOpen { file.closeUntilNeeded() }
                    return .evtx(file)
                } catch {
                    return .unreadableEVTX("\(error)")
                }
            }
        }
        let workers = max(1, min(threads, listed.count / 64))
        if workers == 1 { return listed.map(open) }
        let counter = SharedState()
        let parts = await withTaskGroup(of: [(Int, Opened)].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var done: [(Int, Opened)] = []
                    while true {
                        let i = counter.next.add(1, ordering: .relaxed).oldValue
                        if i >= listed.count { break }
                        done.append((i, open(listed[i])))
                    }
                    return done
                }
            }
            var all: [(Int, Opened)] = []
            for await part in group { all += part }
            return all
        }
        var out = [Opened](repeating: .json, count: listed.count)
        for (i, o) in parts { out[i] = o }
        return out
    }

    func run(_ item: Item, _ path: String, parser: EVTXChunkParser, rules: RuleSet, view: EventView) -> ItemResult {
        var r = ItemResult()
        switch item.input {
        case .evtx(let file, let chunks):
            if chunks.isEmpty {
                for e in file.headerErrors where !e.isWarning { r.problems.append("\(e)") }
                return r
            }
            if chunks.lowerBound == 0 {
                for e in file.headerErrors where !e.isWarning { r.problems.append("\(e)") }
            }
            parser.readsLayouts = true
            for c in chunks {
                let summary = parser.parse(file, chunk: c) { record in
                    r.events += 1
                    // Records of a compiled layout are matched without building their tree; the tree is
                    // built only for a record that matches (its sightings report its fields).
                    if let layout = record.layout {
                        // The parser is the record's leaf reader (`record.leafReader`), passed as it is
                        // held here: the property would return it retained, once per record.
                        view.reset(layout: layout, reader: parser)
                        if self.readsAllFields { view.readAllLeaves() }
                        let matched = rules.matches(view)
                        if !matched.isEmpty {
                            let source = EventSource(file: path, recordID: record.recordID, offset: record.offset)
                            let time = Hunter.eventTime(view, written: record.timestamp)
                            self.report(matched, timestamp: time, source: source, view: view, into: &r) {
                                view.dataFields()
                            }
                        }
                    } else {
                        self.process(record.event(file: path), rules: rules, view: view, into: &r)
                    }
                }
                for e in summary.errors where !e.isWarning {
                    r.skipped += 1
                    if r.problems.count < 50 { r.problems.append("\(e)") }
                }
            }
        case .json(let p):
            guard let bytes = FileCollector.readAll(p) else {
                r.problems.append("cannot read: \(String(cString: strerror(errno)))")
                r.skipped += 1
                return r
            }
            let problems = JSONEventReader.read(bytes, file: path) { event in
                r.events += 1
                self.process(event, rules: rules, view: view, into: &r)
            }
            r.skipped += problems.count
            for p in problems.prefix(50) { r.problems.append("\(p)") }
        }
        return r
    }

    func process(_ event: Event, rules: RuleSet, view: EventView, into r: inout ItemResult) {
        view.reset(event)
        let matched = rules.matches(view)
        if matched.isEmpty { return }
        report(matched, event, view: view, into: &r)
    }

    /// Sightings (and correlation events) for the rules `matched` by the view's current event, `event`.
    func report(_ matched: [Int], _ event: Event, view: EventView, into r: inout ItemResult) {
        report(matched, timestamp: Hunter.eventTime(view, written: event.timestamp), source: event.source, view: view, into: &r) {
            Hunter.dataFields(event)
        }
    }

    /// When the view's current event happened: its `System/TimeCreated/@SystemTime`, the time Windows shows
    /// and Hayabusa, Chainsaw and Zircolite report; else `written`, the time the record was written (the
    /// EVTX record header), which logs exported again carry as the export time (4,394 of the corpus's
    /// 17,739 records differ from TimeCreated, 103 by more than a day) and some sample files leave at
    /// zero. A zero time (1601-01-01, FILETIME 0) is no time: `nil`, not a date 400 years ago.
    static func eventTime(_ view: EventView, written: Timestamp?) -> Timestamp? {
        if let text = view.text(ofField: "TimeCreated_SystemTime"), let t = Timestamp(iso8601: text), t.ticks > 0 {
            return t
        }
        return written.flatMap { $0.ticks > 0 ? $0 : nil }
    }

    /// Sightings for the rules `matched` by the view's current event, which happened at `timestamp` and
    /// came from `source`; `fields` gives its data fields (asked once, and only when a sighting is made).
    func report(
        _ matched: [Int], timestamp: Timestamp?, source: EventSource, view: EventView, into r: inout ItemResult,
        fields: () -> [(String, String)]
    ) {
        var dataFields: [(String, String)]?
        var computerText: String?
        var channelText: String?
        func computer() -> String {
            if let computerText { return computerText }
            let t = view.text(ofField: "Computer") ?? ""
            computerText = t
            return t
        }
        for i in matched {
            if let need = correlationFields[i] {
                var values: [String: String] = [:]
                for f in need { values[f] = view.text(ofField: f) }
                r.correlationEvents.append(
                    CorrelationEvent(rule: i, timestamp: timestamp, values: values, reference: r.correlationRecords.count))
                r.correlationRecords.append(
                    (SightingRecord(file: source.file, recordID: source.recordID, line: source.line), computer()))
            }
            if suppressed.contains(i) { continue }
            if dataFields == nil { dataFields = fields() }
            if channelText == nil { channelText = view.text(ofField: "Channel") ?? "" }
            let rule = facts[i]
            r.sightings.append(
                Sighting(
                    ruleID: rule.id, title: rule.title, level: rule.level, tags: rule.tags, attack: rule.attack,
                    timestamp: timestamp,
                    computer: computer(), channel: channelText ?? "",
                    eventID: view.eventID >= 0 ? view.eventID : nil, recordID: source.recordID,
                    file: source.file, fields: dataFields ?? []))
        }
    }

    /// Correlation detections from the base-rule matches of the whole hunt.
    func correlate(_ events: [CorrelationEvent], _ records: [(record: SightingRecord, computer: String)]) -> [Sighting] {
        Correlator.evaluate(correlations, rules: ruleSet.rules, events: events).map { m in
            let c = correlations[m.correlation]
            let refs = m.events.map { records[$0] }
            var fields = m.group
            fields.append(("value", m.value == m.value.rounded() ? String(Int64(m.value)) : String(m.value)))
            return Sighting(
                ruleID: c.id ?? c.name ?? c.title, title: c.title, level: c.level ?? .informational, tags: c.tags,
                attack: c.attackTechniques, timestamp: m.timestamp, computer: refs.last?.computer ?? "", channel: "",
                eventID: nil, recordID: nil, file: refs.last?.record.file ?? "", fields: fields, correlation: c.type,
                records: refs.map(\.record))
        }
    }

    /// The event's data fields as text: `EventData`/`UserData` members for Windows events, the top-level
    /// members (and `winlog.event_data`) otherwise. (``Sigma/EventView/dataFields()`` reads the same from a
    /// layout's record.)
    public static func dataFields(_ event: Event) -> [(String, String)] {
        var out: [(String, String)] = []
        func add(_ o: EventObject, prefix: String = "") {
            for m in o {
                switch m.value {
                case .object(let inner):
                    if let t = inner["#text"] { out.append((prefix + m.key, t.text ?? "")) } else if m.key != "#attributes" {
                        add(inner, prefix: prefix + m.key + ".")
                    }
                default: out.append((prefix + m.key, m.value.text ?? ""))
                }
            }
        }
        switch event.layout {
        case .windowsXML:
            guard let root = event.fields.members.first?.value.objectValue else { return out }
            if let d = root["EventData"]?.objectValue { add(d) }
            if let u = root["UserData"]?.objectValue {
                for child in u { if let o = child.value.objectValue { add(o) } }
            }
        case .winlogbeat:
            if let d = event.fields["winlog"]?["event_data"]?.objectValue { add(d) }
        case .flat:
            add(event.fields)
        }
        return out
    }
}

/// Counters shared by the workers of one hunt.
final class SharedState: Sendable {
    let next = Atomic<Int>(0)
    let events = Atomic<Int>(0)
    let sightings = Atomic<Int>(0)
    let evaluations = Atomic<Int>(0)
    let scanCacheHits = Atomic<Int>(0)
    let scanCacheLookups = Atomic<Int>(0)
    let undecidedRegexTests = Atomic<Int>(0)
    let filesDone = Atomic<Int>(0)
    let itemsDone = Mutex<[Int: Int]>([:])
    let reorder = Mutex<Reorder>(Reorder())
}

/// Detections of finished work items waiting for the earlier items.
struct Reorder: Sendable {
    var next = 0
    var pending: [Int: [Sighting]] = [:]
}
