import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The index benchmark of `scripts/bench-indicators.sh`: build time, matching throughput on one core,
/// and heap bytes per indicator.
public enum IndicatorBenchmark {
    public struct Figures: Sendable, CustomStringConvertible {
        public var indicators: Int
        public var census: [IndicatorIndex.Kind: Int]
        public var buildSeconds: Double
        public var buildCPUSeconds: Double
        public var observations: Int
        public var matchSeconds: Double
        public var matchCPUSeconds: Double
        public var hits: Int
        public var heapBytes: Int?

        public var description: String {
            let kinds = census.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
            var s = """
                indicators:        \(indicators) (\(kinds.joined(separator: ", ")))
                build:             \(format(buildSeconds)) s wall, \(format(buildCPUSeconds)) s CPU
                match:             \(observations) single-SCO observations in \(format(matchSeconds)) s wall, \
                \(format(matchCPUSeconds)) s CPU = \(Int(Double(observations) / matchCPUSeconds)) per CPU second \
                (\(Int(Double(observations) / matchSeconds)) per wall second, one thread), \(hits) indicator hits
                """
            if let heapBytes {
                s +=
                    "\nmemory:            \(heapBytes / 1_048_576) MiB resident growth while building = \(heapBytes / max(1, indicators)) bytes per indicator"
            }
            return s
        }

        func format(_ d: Double) -> String {
            let v = Int((d * 1000).rounded())
            return "\(v / 1000).\(String(v % 1000).leftPadded(3))"
        }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// CPU time of the calling thread: on a shared machine it counts only our own work.
    static func cpu() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Resident memory of the process in bytes (Linux `/proc/self/statm`), or `nil` elsewhere.
    static func heapInUse() -> Int? {
        #if canImport(Glibc)
            let fd = open("/proc/self/statm", O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 128)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 127) }
            guard n > 0 else { return nil }
            let fields = buffer[0..<n].split(separator: 0x20)
            guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
            return nil
        #endif
    }

    /// Builds an index of `indicators` generated indicators, then matches `observations` generated
    /// single-SCO observations (a fraction `hitRate` drawn from indicator values).
    public static func run(indicators: Int, observations: Int, hitRate: Double = 0.1, seed: UInt64 = 1) -> Figures {
        var corpus = IndicatorCorpus(seed: seed)
        let list = (0..<indicators).map { _ in corpus.nextIndicator() }
        let sample = (0..<min(observations, 16_384)).map { _ in corpus.nextObservation(hitRate: hitRate) }
        let heapBefore = heapInUse()
        let t0 = now()
        let c0 = cpu()
        let index = IndicatorIndex(indicators: list)
        let c1 = cpu()
        let t1 = now()
        let heapAfter = heapInUse()
        var hits = 0
        let t2 = now()
        let c2 = cpu()
        var done = 0
        let scratch = IndicatorIndex.MatchScratch()
        while done < observations {
            for o in sample where done < observations {
                index.matches(o, using: scratch) { _ in hits += 1 }
                done += 1
            }
        }
        let c3 = cpu()
        let t3 = now()
        var heap: Int?
        if let heapBefore, let heapAfter { heap = heapAfter - heapBefore }
        withExtendedLifetime(index) {}
        return Figures(
            indicators: indicators, census: index.census, buildSeconds: t1 - t0, buildCPUSeconds: c1 - c0,
            observations: observations, matchSeconds: t3 - t2, matchCPUSeconds: c3 - c2, hits: hits, heapBytes: heap)
    }
}
