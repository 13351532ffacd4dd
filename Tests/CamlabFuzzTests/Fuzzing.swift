import Dispatch
import Foundation
import Testing

/// Runs a reader of untrusted bytes on its corpus, mutated: every input must be read or refused
/// with one sentence of the reader's own error type; a trap ends the test process (the run
/// fails), another error type or a multi-line message fails the test.
///
/// Each target runs a fixed number of iterations from a fixed seed, so a failure replays. For
/// longer runs set CAMLAB_FUZZ_ITERATIONS (per target) and CAMLAB_FUZZ_SEED; with
/// CAMLAB_FUZZ_TRACE=PATH each input is written to PATH before it is read, so a crash leaves its
/// input behind, to be kept in Crashers/<target>/ (those run first, every time).
enum Fuzzing {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// The files of a folder under Tests/CamlabFuzzTests, by name; none if it does not exist.
    static func files(in relativePath: String) -> [[UInt8]] {
        let directory = folder.appendingPathComponent(relativePath)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.compactMap { FileManager.default.contents(atPath: directory.appendingPathComponent($0).path).map { [UInt8]($0) } }
    }

    /// The seeds of Corpus/<target>/.
    static func corpus(_ target: String) -> [FuzzSeed] { files(in: "Corpus/" + target).map { FuzzSeed(bytes: $0) } }

    /// Fuzzes `read`. `refusal` gives the sentence of an error `read` may throw, nil for any other.
    static func run(_ target: String, iterations: Int, seeds givenSeeds: [FuzzSeed]? = nil,
                    minimumShares: (accepted: Double, refused: Double) = (0.01, 0.05),
                    read: ([UInt8]) throws -> Void, refusal: (Error) -> String?,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let environment = ProcessInfo.processInfo.environment
        let iterations = environment["CAMLAB_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? iterations
        let seedValue = environment["CAMLAB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_250_601
        let trace = environment["CAMLAB_FUZZ_TRACE"]
        let seeds = givenSeeds ?? corpus(target)
        try #require(!seeds.isEmpty, "no corpus for \(target)", sourceLocation: sourceLocation)
        var accepted = 0, refused = 0

        func check(_ input: [UInt8], _ label: String) {
            if let trace { _ = FileManager.default.createFile(atPath: trace, contents: Data(input)) }
            let start = DispatchTime.now().uptimeNanoseconds
            do {
                try read(input)
                accepted += 1
            } catch {
                if let sentence = refusal(error) {
                    refused += 1
                    if sentence.isEmpty || sentence.contains("\n") {
                        Issue.record("\(target) \(label): not one sentence: \(sentence.prefix(300))", sourceLocation: sourceLocation)
                    }
                } else {
                    Issue.record("\(target) \(label): \(type(of: error)): \(String(describing: error).prefix(300))", sourceLocation: sourceLocation)
                }
            }
            // A small input that takes seconds is a hang waiting for a larger one.
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if seconds > 5 { Issue.record("\(target) \(label): \(input.count) bytes took \(seconds) s", sourceLocation: sourceLocation) }
        }

        for (index, crasher) in files(in: "Crashers/" + target).enumerated() { check(crasher, "crasher \(index)") }
        // Each target its own stream: adding a target changes no other target's inputs.
        var generator = SplitMix64(state: seedValue ^ target.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 })
        for iteration in 0..<iterations {
            let input = Mutator.mutate(seeds.randomElement(using: &generator)!, others: seeds, using: &generator)
            check(input, "iteration \(iteration) (seed \(seedValue))")
        }
        // Both outcomes must be common, or the mutations are too weak or too strong to test anything.
        #expect(Double(accepted) >= minimumShares.accepted * Double(iterations), "\(target): only \(accepted) of \(iterations) inputs were read",
                sourceLocation: sourceLocation)
        #expect(Double(refused) >= minimumShares.refused * Double(iterations), "\(target): only \(refused) of \(iterations) inputs were refused",
                sourceLocation: sourceLocation)
    }
}
