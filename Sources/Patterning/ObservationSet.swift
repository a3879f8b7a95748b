import JSON

/// Why observed data could not be used for matching.
public struct ObservationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The observations a pattern is matched against: observed-data SDOs with the SCOs they reference.
///
/// STIX 2.1 observed-data name their SCOs in `object_refs`, resolved against the other objects of the
/// bundle; STIX 2.0-style observed-data embed them in an `objects` dictionary keyed by local id. Either
/// way `_ref`/`_refs` properties resolve only among the SCOs of the same observed-data. An
/// observed-data with `number_observed = N` counts as N observations.
public struct ObservationSet: Sendable {
    /// One observed-data SDO (a class, so the hot loops share it instead of copying its arrays).
    final class Observation: Sendable {
        let first: Timestamp
        let last: Timestamp
        let count: Int
        /// The SCOs of this observed-data, and the id (or 2.0 key) each is referenced by.
        let objects: [JSONObject]
        let ids: [String]
        let types: [String]

        init(first: Timestamp, last: Timestamp, count: Int, objects: [JSONObject], ids: [String], types: [String]) {
            self.first = first
            self.last = last
            self.count = count
            self.objects = objects
            self.ids = ids
            self.types = types
        }

        /// The SCO a reference names, looked up among this observed-data's SCOs.
        func resolve(_ id: String) -> Int? {
            for i in 0..<ids.count where ids[i] == id { return i }
            return nil
        }
    }

    var observations: [Observation]

    /// The number of observed-data SDOs.
    public var count: Int { observations.count }

    /// Builds observations from the objects of one bundle (observed-data SDOs and SCOs, in any order).
    ///
    /// - Throws: ``ObservationError`` for an observed-data without valid `first_observed`,
    ///   `last_observed` and `number_observed >= 1`, without `object_refs`/`objects`, or an object without `type`.
    public init(objects: [JSONValue]) throws(ObservationError) {
        var entries: [Entry] = []
        entries.reserveCapacity(objects.count)
        for (i, v) in objects.enumerated() {
            guard case .object(let o) = v else {
                throw ObservationError("object \(i) is a \(v.kindName), not an object")
            }
            entries.append(Entry(type: o["type"]?.stringValue, id: o["id"]?.stringValue, object: o))
        }
        try self.init(entries: entries)
    }

    /// One observation of a single SCO (for matching a stream of objects one at a time): an
    /// observed-data seen once at `time`; the object's `_ref` properties resolve to nothing.
    public init(single object: JSONObject, type: String, at time: Timestamp = Timestamp(seconds: 0)) {
        observations = [
            Observation(
                first: time, last: time, count: 1, objects: [object], ids: [object["id"]?.stringValue ?? ""],
                types: [type])
        ]
    }

    /// Observations built elsewhere (``PatternCaseRunner`` reads them from a ``JSONTape``).
    init(observations: [Observation]) {
        self.observations = observations
    }

    /// One object of the bundle as the builder needs it; `object` may be left out (empty) for an SCO
    /// whose type no test of the pattern names (see ``PatternCaseRunner``).
    struct Entry {
        var type: String?
        var id: String?
        var object: JSONObject
    }

    init(entries objects: [Entry]) throws(ObservationError) {
        // Small bundles look ids up by a scan; large ones through a dictionary.
        let useDictionary = objects.count > 48
        var byID: [String: Int] = [:]
        var idList: [String] = []
        var idIndex: [Int] = []
        var odIndexes: [Int] = []
        for (i, o) in objects.enumerated() {
            guard let type = o.type else { throw ObservationError("object \(i) has no string 'type'") }
            if type == "observed-data" {
                odIndexes.append(i)
            } else if let id = o.id {
                if useDictionary {
                    if byID[id] == nil { byID[id] = i }
                } else {
                    idList.append(id)
                    idIndex.append(i)
                }
            } else {
                throw ObservationError("object \(i) (\(type)) has no string 'id'")
            }
        }
        observations = []
        observations.reserveCapacity(odIndexes.count)
        for i in odIndexes {
            let od = objects[i].object
            var label: String { od["id"]?.stringValue ?? "observed-data \(i)" }
            func time(_ key: String) throws(ObservationError) -> Timestamp {
                guard case .string(let s)? = od[key] else { throw ObservationError("\(label): missing '\(key)'") }
                guard let t = Timestamp.parse(s) else { throw ObservationError("\(label): invalid \(key) '\(s)'") }
                return t
            }
            let first = try time("first_observed")
            let last = try time("last_observed")
            guard first <= last else { throw ObservationError("\(label): last_observed is before first_observed") }
            guard case .int(let n)? = od["number_observed"] else {
                throw ObservationError("\(label): missing or non-integer 'number_observed'")
            }
            guard n >= 1 else { throw ObservationError("\(label): number_observed must be at least 1") }
            var scos: [JSONObject] = []
            var ids: [String] = []
            var types: [String] = []
            if case .array(let refs)? = od["object_refs"] {
                scos.reserveCapacity(refs.count)
                ids.reserveCapacity(refs.count)
                types.reserveCapacity(refs.count)
                for r in refs {
                    guard case .string(let id) = r else {
                        throw ObservationError("\(label): non-string in object_refs")
                    }
                    var found: Int?
                    if useDictionary {
                        found = byID[id]
                    } else {
                        for k in 0..<idList.count where idList[k] == id {
                            found = idIndex[k]
                            break
                        }
                    }
                    if let j = found {
                        scos.append(objects[j].object)
                        ids.append(id)
                        types.append(objects[j].type ?? "")
                    }
                }
            } else if case .object(let embedded)? = od["objects"] {
                for m in embedded.members {
                    guard case .object(let sco) = m.value, case .string(let type)? = sco["type"] else {
                        throw ObservationError("\(label): embedded object '\(m.key)' has no 'type'")
                    }
                    scos.append(sco)
                    ids.append(m.key)
                    types.append(type)
                }
            } else {
                throw ObservationError("\(label): has neither 'object_refs' nor 'objects'")
            }
            observations.append(
                Observation(
                    first: first, last: last, count: Int(min(n, Int64(Int32.max))), objects: scos, ids: ids,
                    types: types))
        }
    }
}
