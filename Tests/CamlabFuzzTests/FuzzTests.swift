import Foundation
import Testing
import CamlabData
@testable import CamlabFigures
import CamlabImaging
import CamlabNN
import CamlabREPL

/// The readers of files a person may be handed, fuzzed (issue #14; Docs/fuzzing.md).
struct FuzzTests {
    /// A model file: the safetensors container, the model it holds, the network built from it.
    @Test func safetensors() throws {
        try Fuzzing.run("safetensors", iterations: 5000, read: { bytes in
            _ = try Network(file: ModelFile(safeTensors: SafeTensorsFile(bytes: bytes)))
        }, refusal: { error in
            (error as? ModelFileError)?.description ?? (error as? NetworkError)?.description
        })
    }

    /// An architecture document, decoded and checked.
    @Test func architecture() throws {
        try Fuzzing.run("architecture", iterations: 5000, read: { bytes in
            try Architecture(jsonString: String(decoding: bytes, as: UTF8.self)).validate()
        }, refusal: { ($0 as? ModelFileError)?.description })
    }

    /// PNG and JPEG as camlab's image reader decodes them (libpng, libgd), also as gray.
    @Test func image() throws {
        try Fuzzing.run("image", iterations: 3000, read: { bytes in
            let image = try ImageFile.decodeRGB(bytes, path: "fuzz")
            if image.width <= 0 || image.height <= 0 || image.pixels.count != image.width * image.height * 3 {
                Issue.record("a \(image.width)×\(image.height) image with \(image.pixels.count) bytes")
            }
            if PNGFile.hasSignature(bytes) { _ = try PNGFile.decodeGray(bytes) }
        }, refusal: { ($0 as? ImagingError)?.description })
    }

    /// A lesson's Markdown: steps, cells and their expectations.
    @Test func lesson() throws {
        try Fuzzing.run("lesson", iterations: 10000, minimumShares: (0.01, 0.01), read: { bytes in
            _ = try Lesson(number: 1, path: "fuzz.md", markdown: String(decoding: bytes, as: UTF8.self))
        }, refusal: { ($0 as? LessonError)?.description })
    }

    /// The JSON lines of `camlab train --json`, read and drawn as the training curves.
    @Test func trainingLog() throws {
        var parsed = 0
        try Fuzzing.run("training-log", iterations: 4000, read: { bytes in
            let log = try TrainingLog(parsing: String(decoding: bytes, as: UTF8.self), source: "The training log")
            // Drawing takes a hundred times longer than parsing: every 25th log that parses is drawn.
            parsed += 1
            if parsed % 25 == 1 { _ = Figures.curves(log, title: "Training", style: FigureStyle()) }
        }, refusal: { ($0 as? FigureError)?.description })
    }

    /// A dataset's manifest.json.
    @Test func manifest() throws {
        try Fuzzing.run("manifest", iterations: 5000, read: { bytes in
            _ = try DatasetManifest.decode(Data(bytes), path: "fuzz/manifest.json")
        }, refusal: { ($0 as? DatasetError)?.description })
    }
}
