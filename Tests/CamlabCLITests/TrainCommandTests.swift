import Foundation
import Testing

@Suite(.serialized) struct TrainCommandTests {
    let fixtures = TrainingFixtures.shared

    @Test func printsOneJSONLinePerEpochAndSavesAModel() throws {
        let model = fixtures.path("model.safetensors")
        let result = try CommandLine.run(["train", "--data", fixtures.shapes32 + "/train", "--arch", fixtures.tinyArchitecture,
                                          "--epochs", "3", "--batch", "16", "--lr", "0.01", "--optimizer", "adam",
                                          "--seed", "2", "--out", model, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try TrainingFixtures.jsonLines(result.stdout)
        #expect(lines.count == 3)
        for (index, line) in lines.enumerated() {
            #expect(Set(line.keys) == ["epoch", "seconds", "loss", "train_accuracy"])
            #expect(line["epoch"] as? Int == index + 1)
            #expect((line["seconds"] as? Double ?? -1) > 0)
            #expect((0...1).contains(line["train_accuracy"] as? Double ?? -1))
        }
        #expect(result.stdout.hasPrefix("{\"epoch\": 1, \"seconds\": "))
        #expect(FileManager.default.fileExists(atPath: model))
        #expect(!result.stderr.contains("\u{1B}"), "no progress bar when stderr is not a terminal")
    }

    @Test func theSameSeedGivesTheSameModelBytes() throws {
        let first = try fixtures.trainedTinyModel(epochs: 1, seed: 9)
        let second = try fixtures.trainedTinyModel(epochs: 1, seed: 9)
        let third = try fixtures.trainedTinyModel(epochs: 1, seed: 10)
        let bytes = { (path: String) in FileManager.default.contents(atPath: path)! }
        #expect(bytes(first) == bytes(second))
        #expect(bytes(first) != bytes(third))
    }

    /// Sums split over the cores are split the same way on any machine: one, two or three
    /// threads (CAMLAB_THREADS) give the same model, bit for bit.
    @Test func theSameSeedGivesTheSameBitsOnAnyNumberOfThreads() throws {
        let bytes = { (threads: Int) in
            FileManager.default.contents(atPath: try self.fixtures.trainedTinyModel(
                epochs: 1, seed: 5, environment: ["CAMLAB_THREADS": "\(threads)"]))!
        }
        let one = try bytes(1)
        #expect(try bytes(2) == one)
        #expect(try bytes(3) == one)
    }

    @Test func sgdTrainsToo() throws {
        let model = fixtures.path("sgd.safetensors")
        let result = try CommandLine.run(["train", "--data", fixtures.shapes32 + "/train", "--arch", fixtures.tinyArchitecture,
                                          "--epochs", "1", "--batch", "32", "--lr", "0.05", "--optimizer", "sgd",
                                          "--seed", "1", "--out", model])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try TrainingFixtures.jsonLines(result.stdout).count == 1, "stdout is not a terminal: JSON lines")
    }

    @Test func anotherInputSizeChannelCountAndClassCountTrainsEvaluatesAndPredicts() throws {
        let model = fixtures.path("gray.safetensors")
        let train = try CommandLine.run(["train", "--data", fixtures.shapes24 + "/train", "--arch", fixtures.grayArchitecture,
                                         "--epochs", "2", "--batch", "8", "--lr", "0.01", "--optimizer", "adam",
                                         "--seed", "1", "--out", model, "--json"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try TrainingFixtures.jsonLines(train.stdout).count == 2)
        let eval = try CommandLine.run(["eval", "--model", model, "--data", fixtures.shapes24 + "/test", "--json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let confusion = try TrainingFixtures.jsonLines(eval.stdout)[0]["confusion"] as? [[Int]]
        #expect(confusion?.count == 3 && confusion?.allSatisfy { $0.count == 3 } == true)
        let image = fixtures.shapes24 + "/test/square/" + (try FileManager.default.contentsOfDirectory(atPath: fixtures.shapes24 + "/test/square").sorted()[0])
        let predict = try CommandLine.run(["predict", "--model", model, "--image", image, "--json"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let line = try TrainingFixtures.jsonLines(predict.stdout)[0]
        #expect((line["logits"] as? [Double])?.count == 3)
    }

    @Test func imagesOfAnotherSizeAreResizedWithANote() throws {
        let model = fixtures.path("resized.safetensors")
        let result = try CommandLine.run(["train", "--data", fixtures.shapes24 + "/train", "--arch", fixtures.tinyArchitecture,
                                          "--epochs", "1", "--batch", "32", "--lr", "0.01", "--optimizer", "adam",
                                          "--seed", "1", "--out", model, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("96 of 96 images were resized to 32×32"))
    }

    @Test func badArgumentsFailWithOneSentenceAndNothingOnStdout() throws {
        let cases: [[String]] = [
            ["--data", fixtures.folder + "/nowhere", "--arch", fixtures.tinyArchitecture],
            ["--data", fixtures.shapes32 + "/train", "--arch", fixtures.folder + "/missing.json"],
            ["--data", fixtures.shapes32 + "/train", "--arch", fixtures.tinyArchitecture, "--optimizer", "rmsprop"],
            ["--data", fixtures.shapes32, "--arch", fixtures.tinyArchitecture],  // no class folders at this level
        ]
        for arguments in cases {
            var full = ["train"] + arguments + ["--epochs", "1", "--batch", "8", "--lr", "0.01", "--out", fixtures.path("x.safetensors")]
            if !arguments.contains("--optimizer") { full += ["--optimizer", "adam"] }
            let result = try CommandLine.run(full)
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("Error: "), "\(result.stderr)")
        }
        let nan = try CommandLine.run(["train", "--data", fixtures.shapes32 + "/train", "--arch", fixtures.tinyArchitecture,
                                       "--epochs", "1", "--batch", "8", "--lr", "nan", "--out", fixtures.path("n.safetensors")])
        #expect(nan.status != 0 && nan.stdout.isEmpty && !nan.stderr.isEmpty)
    }

    /// Ctrl-C: the process stops after the current batch, saves the last complete model, says
    /// so and exits 130.
    @Test func sigintSavesTheLastCompleteModelAndExits130() throws {
        let model = fixtures.path("interrupted.safetensors")
        let process = Process()
        process.executableURL = CommandLine.executable
        process.arguments = ["train", "--data", fixtures.shapes32 + "/train", "--arch", fixtures.tinyArchitecture,
                             "--epochs", "1000", "--batch", "16", "--lr", "0.01", "--optimizer", "adam",
                             "--seed", "1", "--out", model, "--json"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Wait for the first epoch line: training is under way.
        var received = Data()
        while !received.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        kill(process.processIdentifier, SIGINT)
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130)
        let lines = try TrainingFixtures.jsonLines(String(decoding: received + rest, as: UTF8.self))
        #expect(lines.count >= 1 && lines.count < 1000)
        #expect(stderr.contains("saved the model of epoch \(lines.count), the last complete one"), "\(stderr)")
        let eval = try CommandLine.run(["eval", "--model", model, "--data", fixtures.shapes32 + "/test", "--json"])
        #expect(eval.status == 0, "the saved model loads: \(eval.stderr)")
        // Exactly the model at the end of that epoch, not one halfway through the next: the same
        // bytes as a run of that many epochs with the same seed.
        let reference = fixtures.path("reference.safetensors")
        var arguments = process.arguments!
        arguments[arguments.firstIndex(of: "--epochs")! + 1] = "\(lines.count)"
        arguments[arguments.firstIndex(of: "--out")! + 1] = reference
        let rerun = try CommandLine.run(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == Data(contentsOf: URL(fileURLWithPath: reference)))
    }
}
