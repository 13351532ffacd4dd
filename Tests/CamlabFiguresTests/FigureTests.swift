import CamlabData
import CamlabFigures
import CamlabImaging
import CamlabMethods
import Foundation
import Testing

struct FigureTests {
    static let lab = Fixtures.lab
    static let triangle = Subject.sample(.shapes, index: 2)

    /// Every kind of figure, drawn from generated images and the reference model.
    static let kinds: [(String, () throws -> Canvas)] = [
        ("overlay", { try Figures.overlay(triangle, method: .gradcam, lab: lab) }),
        ("overlay-viridis", {
            var style = FigureStyle()
            style.colormap = .viridis
            return try Figures.overlay(triangle, method: .gradcampp, lab: lab, style: style)
        }),
        ("compare", { try Figures.comparison((0..<3).map { ComparisonRow(subject: Subject.sample(.multi, index: $0)) },
                                             methods: [.gradcam, .gradcampp], lab: lab) }),
        ("gallery", { try Figures.gallery(triangle, lab: lab) }),
        ("bars", { try Figures.bars(triangle, lab: lab) }),
        ("guided", { try Figures.guided(triangle, lab: lab) }),
        ("counterfactual", { try Figures.counterfactual(Subject.sample(.pairs, index: 1), classIndices: [0, 2], lab: lab) }),
        ("overlay-builtin-font", {
            var style = FigureStyle()
            style.typeface = .builtIn
            return try Figures.overlay(triangle, method: .counterfactual, lab: lab, style: style)
        }),
        ("curves", { Figures.curves(try TrainingLog(parsing: """
            {"epoch": 1, "seconds": 2.0, "loss": 1.2, "train_accuracy": 0.55}
            not a record
            {"epoch": 2, "seconds": 2.1, "loss": 0.6, "train_accuracy": 0.81}
            {"epoch": 3, "seconds": 2.0, "loss": 0.3, "train_accuracy": 0.93}
            """)) }),
    ]

    @Test(arguments: kinds.map(\.0))
    func drawsAValidLegiblePNG(_ kind: String) throws {
        let canvas = try Self.kinds.first { $0.0 == kind }!.1()
        // To look at what the tests draw: CAMLAB_TEST_FIGURES=/some/folder swift test …
        if let folder = ProcessInfo.processInfo.environment["CAMLAB_TEST_FIGURES"] {
            try canvas.writePNG(to: "\(folder)/\(kind).png")
        }
        let bytes = PNGFile.encode(canvas.rgbImage)
        let decoded = try PNGFile.decodeRGB(bytes)
        #expect(decoded.width == canvas.width && decoded.height == canvas.height)
        // Large enough to project, small enough to fit a slide.
        #expect(canvas.width >= 500 && canvas.width <= 2400, "width \(canvas.width)")
        #expect(canvas.height >= 300 && canvas.height <= 2000, "height \(canvas.height)")
        // Nothing touches the edges: the outer margin is plain background, so no text is cut off.
        let image = canvas.rgbImage
        let border = FigureStyle().margin - 4
        for y in 0..<image.height {
            for x in 0..<image.width where x < border || y < border || x >= image.width - border || y >= image.height - border {
                guard image[x: x, y: y] == .white else {
                    Issue.record("\(kind): ink at (\(x), \(y)) in the margin")
                    return
                }
            }
        }
        // And something is drawn: text and panels cover a fair share of it.
        let inked = stride(from: 0, to: image.pixels.count, by: 3).filter { image.pixels[$0] != 255 || image.pixels[$0 + 1] != 255 }.count
        #expect(inked > image.width * image.height / 50)
    }

    @Test func sameRequestSameBytes() throws {
        let first = PNGFile.encode(try Figures.overlay(Self.triangle, method: .scorecam, lab: Self.lab).rgbImage)
        let second = PNGFile.encode(try Figures.overlay(Self.triangle, method: .scorecam, lab: Self.lab).rgbImage)
        #expect(first == second)
    }

    @Test func classroomSetIsByteIdenticalTwice() throws {
        let (one, two) = (try TemporaryFolder(), try TemporaryFolder())
        var notes: [String] = []
        for folder in [one, two] {
            var figures = ClassroomFigures(modelPath: Fixtures.path("model.safetensors"))
            figures.outputFolder = folder.path
            try figures.generate { notes.append($0) }
        }
        let names = try one.contents()
        #expect(names == (try two.contents()))
        #expect(names.contains("gallery.png") && names.contains("compare-multi.png") && names.contains("guided.png"))
        #expect(names.filter { $0.hasPrefix("overlay-") }.count == MethodName.allCases.filter(\.producesMap).count + 1)
        #expect(!names.contains("curves.png"))
        #expect(notes.contains { $0.contains("skipped curves.png") })
        for name in names {
            let a = try Data(contentsOf: URL(fileURLWithPath: one.file(name)))
            let b = try Data(contentsOf: URL(fileURLWithPath: two.file(name)))
            #expect(a == b, "\(name) differs between runs")
        }
    }

    @Test func theTrainingLogShippedBesideAModelIsFound() throws {
        let folder = try TemporaryFolder()
        let model = folder.file("net.safetensors")
        try FileManager.default.copyItem(atPath: Fixtures.path("model.safetensors"), toPath: model)
        #expect(ClassroomFigures.trainingLog(besideModelAt: model) == nil)
        #expect(ClassroomFigures(modelPath: model).trainingLogPath == nil)
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: folder.file("net-training.jsonl")))
        #expect(ClassroomFigures.trainingLog(besideModelAt: model) == folder.file("net-training.jsonl"))
        #expect(ClassroomFigures(modelPath: model).trainingLogPath == folder.file("net-training.jsonl"))
        let shipped = Fixtures.packageRoot + "/Models/shapes-tiny32.safetensors"
        #expect(ClassroomFigures.trainingLog(besideModelAt: shipped) == Fixtures.packageRoot + "/Models/shapes-tiny32-training.jsonl")
    }

    @Test func aSharedScaleChangesTheFigure() throws {
        let rows = [ComparisonRow(subject: Self.triangle, classIndex: 2), ComparisonRow(subject: Self.triangle, classIndex: 0)]
        var shared = FigureStyle()
        shared.sharesScale = true
        let own = try Figures.comparison(rows, methods: [.cam], lab: Self.lab).rgbImage
        let dimmed = try Figures.comparison(rows, methods: [.cam], lab: Self.lab, style: shared).rgbImage
        #expect(own != dimmed)
    }

    @Test func outlinesComeFromTheMasks() throws {
        let subject = Self.triangle
        var plain = FigureStyle()
        plain.showsOutlines = false
        let with = try Figures.overlay(subject, method: .gradcam, lab: Self.lab).rgbImage
        let without = try Figures.overlay(subject, method: .gradcam, lab: Self.lab, style: plain).rgbImage
        #expect(with.width == without.width)
        #expect(with != without)
    }

    @Test func guidedMethodsAreNotOverlays() {
        #expect(throws: FigureError.self) { try Figures.overlay(Self.triangle, method: .guided, lab: Self.lab) }
    }

    @Test func malformedRequestsSayWhatIsWrong() throws {
        var request = FigureRequest(kind: .overlay)
        request.modelPath = Fixtures.path("model.safetensors")
        let missingImage = #expect(throws: FigureError.self) { try request.render() }
        #expect(missingImage?.description.contains("--image") == true)

        request.imagePaths = ["/nonexistent/cat.png"]
        let unreadable = #expect(throws: FigureError.self) { try request.render() }
        #expect(unreadable?.description.hasPrefix("Cannot read '/nonexistent/cat.png'") == true)

        request.imagePaths = [Fixtures.path("single_triangle.png")]
        request.className = "dog"
        let unknownClass = #expect(throws: FigureError.self) { try request.render() }
        #expect(unknownClass?.description.contains("circle") == true)

        #expect(throws: FigureError.self) { try FigureRequest.methods(from: "gradcam,nope") }
        #expect(throws: FigureError.self) { try TrainingLog(parsing: "hello\n{}") }
        var curves = FigureRequest(kind: .curves)
        curves.logPath = nil
        #expect(throws: FigureError.self) { try curves.render() }
    }

    /// Negative, flat (all zero, all equal) and single-epoch losses draw; they once trapped on an
    /// empty tick list or a zero-height axis.
    @Test(arguments: [[-0.5, -0.2, -0.1], [0, 0, 0], [0.7, 0.7, 0.7], [-3], [1e30, 2e30, -1e30]])
    func curvesDrawAnyFiniteLosses(_ losses: [Double]) throws {
        let text = losses.enumerated().map { #"{"epoch": \#($0.offset + 1), "loss": \#($0.element)}"# }.joined(separator: "\n")
        let image = Figures.curves(try TrainingLog(parsing: text)).rgbImage
        #expect(image.width > 300 && image.height > 200)
    }

    /// Records a plot cannot show are refused with their line, not drawn or skipped.
    @Test func trainingLogRefusesRecordsItCannotPlot() throws {
        for (text, phrase) in [(#"{"epoch": 1, "loss": 1e301}"#, "loss"),
                               (#"{"epoch": 1, "loss": 0.5, "train_accuracy": 7}"#, "train_accuracy"),
                               (#"{"epoch": 1e20, "loss": 0.5}"#, "epoch"),
                               (#"{"epoch": 1.5, "loss": 0.5}"#, "epoch"),
                               ("{\"epoch\": 1, \"loss\": 0.5}\n{\"epoch\": 1, \"loss\": 0.4}", "already given on line 1")] {
            let error = #expect(throws: FigureError.self) { try TrainingLog(parsing: text) }
            #expect(error?.description.contains(phrase) == true, "\(error?.description ?? "") for \(text)")
        }
    }

    @Test func trainingLogReadsTheTrainCommandsLines() throws {
        let log = try TrainingLog(parsing: """
            {"epoch": 2, "seconds": 2.5, "loss": 0.5, "train_accuracy": 0.9}
            {"epoch": 1, "seconds": 2.0, "loss": 1.0, "train_accuracy": 0.5, "test_accuracy": 0.6}
            {"done": true}
            """)
        #expect(log.epochs.map(\.epoch) == [1, 2])
        #expect(log.epochs[0].testAccuracy == 0.6 && log.epochs[1].trainAccuracy == 0.9)
    }
}

struct SubjectTests {
    /// An image file of a written dataset finds its masks through the dataset's manifest.json.
    @Test func datasetImagesBringTheirMasks() throws {
        let folder = try TemporaryFolder()
        let manifest = try DatasetGenerator.write(DatasetSpec(kind: .pairs, count: 4), to: folder.path)
        let entry = manifest.images[1]
        let subject = try Subject.file(at: folder.file(entry.path))
        #expect(Set(subject.masks.keys) == Set(entry.classes.map { $0.rawValue }))
        #expect(subject.masks == Subject.sample(.pairs, index: 1).masks)
        // A file outside any dataset has none.
        #expect(try Subject.file(at: Fixtures.path("single_triangle.png")).masks.isEmpty)
    }
}
