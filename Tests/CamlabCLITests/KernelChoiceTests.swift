import Foundation
import Testing

/// The simpler kernels a CPU may get (`CAMLAB_SGEMM_KERNEL=avx2` or `=portable` forces them; the
/// choice is made once per process) compute what the default one does: explanations through every
/// convolution pass, and training through the weight gradient.
struct KernelChoiceTests {
    let fixtures = TrainingFixtures.shared

    func numbers(_ value: Any?) -> [Double] {
        switch value {
        case let number as Double: [number]
        case let array as [Any]: array.flatMap(numbers)
        default: []
        }
    }

    /// Largest |a − b| over the largest |a|.
    func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(a.map(Swift.abs).max() ?? 0, 1e-12)
        return zip(a, b).map { Swift.abs($0 - $1) }.reduce(0) { Swift.max($0, $1.isNaN ? .infinity : $1) } / scale
    }

    /// CamlabCoreTests' kernel tests — every convolution pass and GEMM against the naive
    /// reference, the adjoint identities, the inference path, Winograd — run again in a child of this test
    /// binary with the simpler kernel forced, so one machine checks every kernel path it has.
    @Test(arguments: ["avx2", "portable"])
    func kernelTestsPassWithTheSimplerKernel(kernel: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Swift.CommandLine.arguments[0])
        let tests = ["conv2dMatchesReference", "inputGradientMatchesReference", "weightGradientMatchesReference",
                     "adjointIdentities", "gemmMatchesNaive", "gemmWithEmptyDepthClearsOrKeepsC", "InferencePathTests",
                     "WinogradTests"]
        process.arguments = ["--testing-library", "swift-testing",
                             "--filter", "^CamlabCoreTests\\.(\(tests.joined(separator: "|")))"]
        var environment = ProcessInfo.processInfo.environment
        (environment["CAMLAB_SGEMM_KERNEL"], environment["NO_COLOR"]) = (kernel, "1")
        process.environment = environment
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text.suffix(2000))")
        // Not vacuous: the child ran at least one test of each name.
        let ran = text.split(separator: "\n").first { $0.contains("Test run with") }.map(String.init) ?? ""
        let count = ran.split(separator: " ").drop { $0 != "with" }.dropFirst().first.flatMap { Int($0) } ?? 0
        #expect(ran.contains("passed") && count >= tests.count, "\(ran)")
    }

    @Test(arguments: ["avx2", "portable"])
    func explanationsAgreeWithTheDefaultKernel(kernel: String) throws {
        // Score-CAM runs batched forwards; Grad-CAM at features.3 runs a convolution's input gradient.
        for arguments in [["scorecam"], ["gradcam", "--layer", "features.3"]] {
            let command = ["cam"] + arguments + ["--model", CamCommandTests.model,
                                                 "--image", CamCommandTests.image("multi_circle.png"), "--json"]
            let standard = try CommandLine.run(command)
            let forced = try CommandLine.run(command, environment: ["CAMLAB_SGEMM_KERNEL": kernel])
            #expect(standard.status == 0 && forced.status == 0, "\(forced.stderr)")
            let (a, b) = try (JSONSerialization.jsonObject(with: Data(standard.stdout.utf8)) as! [String: Any],
                              JSONSerialization.jsonObject(with: Data(forced.stdout.utf8)) as! [String: Any])
            for key in ["logits", "raw", "map"] {
                let (x, y) = (numbers(a[key]), numbers(b[key]))
                #expect(!x.isEmpty && x.count == y.count)
                #expect(relativeDifference(x, y) < 1e-4, "\(arguments[0]) \(key) with \(kernel)")
            }
        }
    }

    @Test(arguments: ["avx2", "portable"])
    func trainingAgreesWithTheDefaultKernel(kernel: String) throws {
        func losses(_ environment: [String: String]) throws -> [Double] {
            let result = try CommandLine.run(["train", "--data", fixtures.shapes32 + "/train",
                                              "--arch", fixtures.tinyArchitecture, "--epochs", "2", "--batch", "16",
                                              "--lr", "0.01", "--optimizer", "adam", "--seed", "4",
                                              "--out", fixtures.path("kernel.safetensors"), "--json"],
                                             environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            return try TrainingFixtures.jsonLines(result.stdout).map { $0["loss"] as! Double }
        }
        let (standard, forced) = try (losses([:]), losses(["CAMLAB_SGEMM_KERNEL": kernel]))
        #expect(standard.count == 2 && forced.count == 2)
        #expect(relativeDifference(standard, forced) < 1e-4, "losses \(standard) and \(forced) with \(kernel)")
    }
}
