import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pattern parsed for `eval`, with what the tape reader needs to know about it, and its matcher.
///
/// What can make compiling fail (a `MATCHES` regex or a CIDR operand, or a binding too wide) is checked
/// when the pattern is parsed, so that its error comes first, as in the decoding path. The matcher itself
/// is compiled on first use: a case whose bundle holds no object of a type the pattern names cannot
/// match, and needs no matcher at all.
final class CompiledCase {
    /// The error line's message when the pattern does not parse or compile.
    let error: String?
    /// Read every SCO in full: the pattern follows `_ref`s (any object may be reached) or names a type
    /// or key that is not plain ASCII.
    let readsWholeObjects: Bool
    /// The object types the pattern's tests name, and the first keys of their paths (`keys[i].filter`
    /// is the index of the type); their bytes are ranges of `names`.
    let filters: [TypeFilter]
    let keys: [KeyFilter]
    let names: [UInt8]
    private var pattern: Pattern?
    private var compiled: PatternMatcher?

    struct TypeFilter {
        let type: String
        let bytes: Range<Int>
    }

    struct KeyFilter {
        let filter: Int
        let key: String
        let bytes: Range<Int>
    }

    init(text: String) {
        var parser = PatternParser(text)
        parser.notesTests = true
        parser.tests.reserveCapacity(8)
        let pattern: Pattern
        do {
            pattern = try parser.parsePattern()
        } catch {
            self.error = "invalid pattern: \(error)"
            readsWholeObjects = false
            filters = []
            keys = []
            names = []
            return
        }
        // The types and first keys the tests name, from the parser's notes (no second walk of the tree).
        var filters: [TypeFilter] = []
        var keys: [KeyFilter] = []
        var names: [UInt8] = []
        filters.reserveCapacity(parser.tests.count)
        keys.reserveCapacity(parser.tests.count)
        var readsWhole = false
        var mayFail = false
        func addName(_ s: String) -> Range<Int> {
            let start = names.count
            names.append(contentsOf: s.utf8)
            if names[start...].contains(where: { $0 >= 0x80 }) { readsWhole = true }
            return start..<names.count
        }
        for t in parser.tests {
            if t.mayFailToCompile { mayFail = true }
            if t.followsReferences { readsWhole = true }
            var f = filters.firstIndex(where: { $0.type == t.type }) ?? -1
            if f < 0 {
                if names.isEmpty { names.reserveCapacity(128) }
                filters.append(TypeFilter(type: t.type, bytes: addName(t.type)))
                f = filters.count - 1
            }
            if !keys.contains(where: { $0.filter == f && $0.key == t.firstKey }) {
                keys.append(KeyFilter(filter: f, key: t.firstKey, bytes: addName(t.firstKey)))
            }
        }
        self.filters = filters
        self.keys = keys
        self.names = names
        readsWholeObjects = readsWhole
        var failure: String?
        if CompiledCase.width(pattern.root) > PatternMatcher.maxBindingWidth {
            // Compiling reports the first bad operand, else the width.
            do {
                compiled = try PatternMatcher(pattern, jit: false)
            } catch {
                failure = "invalid pattern: \(error)"
            }
        } else {
            // Operands that can fail (regexes, CIDR blocks) are checked now, in the order compiling would
            // meet them, so the error comes first; the rest is compiled only if the data needs it.
            if mayFail {
                do throws(PatternError) {
                    for t in parser.tests where t.mayFailToCompile {
                        try PatternMatcher.checkOperand(t.op, t.operand, at: t.offset)
                    }
                } catch {
                    failure = "invalid pattern: \(error)"
                }
            }
            if failure == nil { self.pattern = pattern }
        }
        self.error = failure
    }

    /// The matcher (compiled now if it was not yet); `nil` when the pattern is invalid.
    var matcher: PatternMatcher? {
        if compiled == nil, let pattern {
            // Cannot fail: the regex and CIDR operands and the width were checked.
            compiled = try? PatternMatcher(pattern, jit: false)
            self.pattern = nil
        }
        return compiled
    }

    /// The widest binding of the compiled pattern, computed the same way on the parsed tree (START/STOP
    /// compiles to its operand).
    static func width(_ e: ObservationExpression) -> Int {
        switch e {
        case .observation: return 1
        case .and(let xs), .followedBy(let xs): return xs.reduce(0) { min($0 + width($1), Int.max / 2) }
        case .or(let xs): return xs.map(width).max() ?? 0
        case .within(let x, _), .startStop(let x, _, _): return width(x)
        case .repeats(let x, let k):
            var inner = x
            while case .startStop(let y, _, _) = inner { inner = y }
            if case .observation = inner { return 1 }
            let (m, o) = width(x).multipliedReportingOverflow(by: k)
            return o ? Int.max / 2 : m
        }
    }
}

/// Compiled short patterns by text (the JSON bytes of the `pattern` string): a direct-mapped cache, so
/// a stream that repeats simple patterns (IOC look-ups) compiles each once, while memory stays small and
/// an evicted pattern is freed while it is still in the CPU caches. Long patterns are rarely repeated
/// and are not kept.
struct CompiledCaseCache {
    static let slotCount = 1024
    static let maxTextBytes = 64

    struct Slot {
        var text: [UInt8]
        var value: CompiledCase
    }
    var slots: [Slot?] = Array(repeating: nil, count: CompiledCaseCache.slotCount)

    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        let raw = UnsafeRawBufferPointer(b)
        var i = 0
        while i + 8 <= b.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        while i < b.count {
            h = (h ^ UInt64(b[i])) &* 0x94D0_49BB_1331_11EB
            i += 1
        }
        return h ^ (h >> 32)
    }

    /// The compiled case for these bytes, made with `make` when it is not cached.
    mutating func value(for bytes: UnsafeBufferPointer<UInt8>, _ make: () -> CompiledCase) -> CompiledCase {
        guard bytes.count <= CompiledCaseCache.maxTextBytes else { return make() }
        let i = Int(truncatingIfNeeded: CompiledCaseCache.hash(bytes)) & (CompiledCaseCache.slotCount - 1)
        if let slot = slots[i], slot.text.elementsEqual(bytes) { return slot.value }
        let v = make()
        slots[i] = Slot(text: Array(bytes), value: v)
        return v
    }
}

/// Buffers reused from one case to the next.
struct TapeScratch {
    /// An SCO of the bundle: its node, and the nodes of its `type` and `id` strings.
    struct Object {
        var node: Int32
        var type: Int32
        var id: Int32
    }
    var objects: [Object] = []
    var observedData: [Int32] = []
    /// SCOs read for the current case whose type the pattern names.
    var namedObjects = 0
}

extension PatternCaseRunner {
    /// Bundles with more SCOs than this are left to the decoding path (which indexes ids by a dictionary).
    static let maxTapeObjects = 64

    /// Evaluates a well-formed case from the tape and writes its line; `false` (nothing written) when
    /// the line needs the decoding path.
    mutating func evaluateFromTape(_ line: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        guard tape.scan(line) else { return false }
        let nodes = tape.nodes
        guard nodes[0].kind == .object else { return false }
        var idIndex = -1
        var patternIndex = -1
        var dataIndex = -1
        var m = 1
        while m < Int(nodes[0].next) {
            let n = nodes[m]
            if idIndex < 0 && tape.key(n, is: "id") {
                idIndex = m
            } else if patternIndex < 0 && tape.key(n, is: "pattern") {
                patternIndex = m
            } else if dataIndex < 0 && tape.key(n, is: "observed_data") {
                dataIndex = m
            }
            m = Int(n.next)
        }
        guard patternIndex >= 0, nodes[patternIndex].kind == .string, dataIndex >= 0, nodes[dataIndex].kind == .array
        else { return false }
        let tape = self.tape
        let compiled = cache.value(for: tape.rawBytes(nodes[patternIndex])) {
            guard case .string(let text)? = tape.materialize(patternIndex) else {
                return CompiledCase(text: "")
            }
            return CompiledCase(text: text)
        }
        let result: Result<Bool, CaseError>
        if let error = compiled.error {
            result = .failure(CaseError(error))
        } else {
            scratch.namedObjects = 0
            guard let observations = observations(in: dataIndex, for: compiled) else { return false }
            if scratch.namedObjects == 0 {
                // No object of a type the pattern names: no bracket can bind.
                result = .success(false)
            } else if let matcher = compiled.matcher {
                do {
                    result = .success(try matcher.matches(observations))
                } catch {
                    result = .failure(CaseError(error.description))
                }
            } else {
                return false
            }
        }
        out.append(contentsOf: #"{"id": "#.utf8)
        if idIndex < 0 {
            out.append(contentsOf: "null".utf8)
        } else if nodes[idIndex].kind == .string && nodes[idIndex].plain {
            out.append(contentsOf: tape.rawBytes(nodes[idIndex]))
        } else {
            JSONWriter().write(tape.materialize(idIndex) ?? .null, into: &out)
        }
        PatternCaseRunner.appendResult(result, into: &out)
        return true
    }

    /// The observations of the `observed_data` array at node `array`, reading only what `compiled`
    /// can look at; `nil` when the data is unusual or invalid (the decoding path then reports it).
    mutating func observations(in array: Int, for compiled: CompiledCase) -> ObservationSet? {
        let nodes = tape.nodes
        scratch.objects.removeAll(keepingCapacity: true)
        scratch.observedData.removeAll(keepingCapacity: true)
        var child = array + 1
        while child < Int(nodes[array].next) {
            let n = nodes[child]
            guard n.kind == .object else { return nil }
            var typeIndex = -1
            var idIndex = -1
            var m = child + 1
            while m < Int(n.next) {
                let mn = nodes[m]
                if typeIndex < 0 && tape.key(mn, is: "type") {
                    typeIndex = m
                } else if idIndex < 0 && tape.key(mn, is: "id") {
                    idIndex = m
                }
                m = Int(mn.next)
            }
            guard typeIndex >= 0, nodes[typeIndex].kind == .string, nodes[typeIndex].plain else { return nil }
            if tape.string(nodes[typeIndex], is: "observed-data") {
                scratch.observedData.append(Int32(child))
            } else {
                guard idIndex >= 0, nodes[idIndex].kind == .string, nodes[idIndex].plain else { return nil }
                scratch.objects.append(TapeScratch.Object(node: Int32(child), type: Int32(typeIndex), id: Int32(idIndex)))
            }
            child = Int(n.next)
        }
        guard scratch.objects.count <= PatternCaseRunner.maxTapeObjects else { return nil }
        var observations: [ObservationSet.Observation] = []
        observations.reserveCapacity(scratch.observedData.count)
        for od in scratch.observedData {
            guard let o = observation(Int(od), compiled) else { return nil }
            observations.append(o)
        }
        return ObservationSet(observations: observations)
    }

    mutating func observation(_ od: Int, _ compiled: CompiledCase) -> ObservationSet.Observation? {
        let nodes = tape.nodes
        var firstIndex = -1
        var lastIndex = -1
        var countIndex = -1
        var refsIndex = -1
        var embeddedIndex = -1
        var m = od + 1
        while m < Int(nodes[od].next) {
            let n = nodes[m]
            if n.keyLength == 14 && firstIndex < 0 && tape.key(n, is: "first_observed") {
                firstIndex = m
            } else if n.keyLength == 13 && lastIndex < 0 && tape.key(n, is: "last_observed") {
                lastIndex = m
            } else if n.keyLength == 15 && countIndex < 0 && tape.key(n, is: "number_observed") {
                countIndex = m
            } else if n.keyLength == 11 && refsIndex < 0 && tape.key(n, is: "object_refs") {
                refsIndex = m
            } else if n.keyLength == 7 && embeddedIndex < 0 && tape.key(n, is: "objects") {
                embeddedIndex = m
            }
            m = Int(n.next)
        }
        guard let first = timestamp(firstIndex), let last = timestamp(lastIndex), first <= last,
            let count = numberObserved(countIndex)
        else { return nil }
        var scos: [JSONObject] = []
        var ids: [String] = []
        var types: [String] = []
        // Room for every object the observation names (refs, or embedded objects), so appends do not regrow.
        let room =
            refsIndex >= 0 ? Int(nodes[refsIndex].next) - refsIndex - 1
            : embeddedIndex >= 0 ? Int(nodes[embeddedIndex].next) - embeddedIndex - 1 : 0
        scos.reserveCapacity(min(room, 64))
        ids.reserveCapacity(min(room, 64))
        types.reserveCapacity(min(room, 64))
        if refsIndex >= 0 && nodes[refsIndex].kind == .array {
            var r = refsIndex + 1
            while r < Int(nodes[refsIndex].next) {
                let ref = nodes[r]
                guard ref.kind == .string, ref.plain else { return nil }
                for o in scratch.objects where tape.sameString(nodes[Int(o.id)], ref) {
                    if !add(Int(o.node), type: Int(o.type), id: r, compiled, &scos, &ids, &types) { return nil }
                    break
                }
                r += 1
            }
        } else if embeddedIndex >= 0 && nodes[embeddedIndex].kind == .object {
            var e = embeddedIndex + 1
            while e < Int(nodes[embeddedIndex].next) {
                let n = nodes[e]
                guard n.kind == .object else { return nil }
                var typeIndex = -1
                var k = e + 1
                while k < Int(n.next) {
                    if tape.key(nodes[k], is: "type") {
                        typeIndex = k
                        break
                    }
                    k = Int(nodes[k].next)
                }
                guard typeIndex >= 0, nodes[typeIndex].kind == .string, nodes[typeIndex].plain,
                    add(e, type: typeIndex, id: -1, compiled, &scos, &ids, &types)
                else { return nil }
                e = Int(n.next)
            }
        } else {
            return nil
        }
        return ObservationSet.Observation(
            first: first, last: last, count: count, objects: scos, ids: ids, types: types)
    }

    /// Adds the SCO at node `object` (type string at node `type`; `id` the node of its id string, or -1
    /// for an embedded object, whose id is its key) when the pattern can look at it.
    mutating func add(
        _ object: Int, type: Int, id: Int, _ compiled: CompiledCase, _ scos: inout [JSONObject], _ ids: inout [String],
        _ types: inout [String]
    ) -> Bool {
        let nodes = tape.nodes
        let typeNode = nodes[type]
        let typeBytes = tape.stringBytes(typeNode)
        let names = compiled.names
        let f = names.withUnsafeBufferPointer { n in
            compiled.filters.firstIndex(where: {
                $0.bytes.count == typeBytes.count && memcmp(n.baseAddress! + $0.bytes.lowerBound, typeBytes.baseAddress!, typeBytes.count) == 0
            })
        }
        let filter = f.map { compiled.filters[$0] }
        // With whole objects (non-ASCII names among them) every SCO counts, to stay on the safe side.
        if filter != nil || compiled.readsWholeObjects { scratch.namedObjects += 1 }
        if compiled.readsWholeObjects {
            guard case .object(let o)? = tape.materialize(object) else { return false }
            scos.append(o)
            if id >= 0 {
                guard case .string(let s)? = tape.materialize(id) else { return false }
                ids.append(s)
            } else {
                ids.append(tape.keyString(object))
            }
            types.append(String(decoding: tape.stringBytes(typeNode), as: UTF8.self))
            return true
        }
        guard let filter else { return true }
        let keys = compiled.keys
        var members: [JSONMember] = []
        members.reserveCapacity(keys.count)
        var m = object + 1
        while m < Int(nodes[object].next) {
            let n = nodes[m]
            for k in keys where k.filter == f
                && names.withUnsafeBufferPointer({ tape.key(n, equals: UnsafeBufferPointer(rebasing: $0[k.bytes])) })
            {
                guard let v = tape.materialize(m) else { return false }
                members.append(JSONMember(key: k.key, value: v))
                break
            }
            m = Int(n.next)
        }
        scos.append(JSONObject(members))
        types.append(filter.type)
        return true
    }

    func timestamp(_ index: Int) -> Timestamp? {
        guard index >= 0 else { return nil }
        let n = tape.nodes[index]
        guard n.kind == .string, n.plain else { return nil }
        return Timestamp.parse(tape.stringBytes(n))
    }

    /// `number_observed` when it is an integer of at least 1.
    func numberObserved(_ index: Int) -> Int? {
        guard index >= 0, tape.nodes[index].kind == .number else { return nil }
        let b = tape.rawBytes(tape.nodes[index])
        if b.count <= 18 && b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            var v = 0
            for c in b { v = v * 10 + Int(c - 0x30) }
            return v >= 1 ? min(v, Int(Int32.max)) : nil
        }
        guard case .int(let v)? = tape.materialize(index), v >= 1 else { return nil }
        return Int(min(v, Int64(Int32.max)))
    }
}
