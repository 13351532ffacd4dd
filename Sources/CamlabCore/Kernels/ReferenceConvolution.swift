// The three convolution kernels written as the equations read: plain loops, no im2col, no GEMM.
// They are the test oracle for Convolution.swift and the version the lessons show. Slow on purpose.
//
// With groups G, output channel o belongs to group k = o / (O/G) and sees input channels
// k·(C/G) + c for c < C/G; with dilation d, tap (i, j) reads the input i·d rows and j·d columns on.

extension Kernels {
    /// y[n,o,ho,wo] = Σ_{c,i,j} w[o,c,i,j] · x[n, k·C/G + c, ho·s − p + i·d, wo·s − p + j·d]
    /// (x is 0 outside the image)
    public static func referenceConv2d(input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                       output y: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) {
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let firstChannel = g.firstInputChannel(ofOutput: o)
                for ho in 0..<g.outHeight {
                    for wo in 0..<g.outWidth {
                        var sum: Float = 0
                        for c in 0..<g.groupInChannels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let (h, v) = g.inputPosition(ho, wo, i, j)
                                    guard h >= 0, h < g.inHeight, v >= 0, v < g.inWidth else { continue }
                                    sum += w[g.weightIndex(o, c, i, j)] * x[g.inputIndex(n, firstChannel + c, h, v)]
                                }
                            }
                        }
                        y[g.outputIndex(n, o, ho, wo)] = sum
                    }
                }
            }
        }
    }

    /// dx[n,k·C/G + c,h,v] = Σ_{o,i,j} w[o,c,i,j] · gy[n,o,ho,wo] over the outputs o of group k and
    /// the positions (ho, wo) that read pixel (h, v) = (ho·s − p + i·d, wo·s − p + j·d): every use
    /// of x in the forward pass sends its weight times the output's gradient back.
    public static func referenceConv2dInputGradient(outputGradient gy: UnsafePointer<Float>,
                                                    weight w: UnsafePointer<Float>,
                                                    inputGradient dx: UnsafeMutablePointer<Float>,
                                                    geometry g: ConvolutionGeometry) {
        dx.update(repeating: 0, count: g.batch * g.inputImageSize)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let firstChannel = g.firstInputChannel(ofOutput: o)
                for ho in 0..<g.outHeight {
                    for wo in 0..<g.outWidth {
                        let gradient = gy[g.outputIndex(n, o, ho, wo)]
                        for c in 0..<g.groupInChannels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let (h, v) = g.inputPosition(ho, wo, i, j)
                                    guard h >= 0, h < g.inHeight, v >= 0, v < g.inWidth else { continue }
                                    dx[g.inputIndex(n, firstChannel + c, h, v)] += w[g.weightIndex(o, c, i, j)] * gradient
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dw[o,c,i,j] = Σ_{n,ho,wo} gy[n,o,ho,wo] · x[n, k·C/G + c, ho·s − p + i·d, wo·s − p + j·d]
    public static func referenceConv2dWeightGradient(input x: UnsafePointer<Float>,
                                                     outputGradient gy: UnsafePointer<Float>,
                                                     weightGradient dw: UnsafeMutablePointer<Float>,
                                                     geometry g: ConvolutionGeometry) {
        for o in 0..<g.outChannels {
            let firstChannel = g.firstInputChannel(ofOutput: o)
            for c in 0..<g.groupInChannels {
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        var sum: Float = 0
                        for n in 0..<g.batch {
                            for ho in 0..<g.outHeight {
                                for wo in 0..<g.outWidth {
                                    let (h, v) = g.inputPosition(ho, wo, i, j)
                                    guard h >= 0, h < g.inHeight, v >= 0, v < g.inWidth else { continue }
                                    sum += gy[g.outputIndex(n, o, ho, wo)] * x[g.inputIndex(n, firstChannel + c, h, v)]
                                }
                            }
                        }
                        dw[g.weightIndex(o, c, i, j)] = sum
                    }
                }
            }
        }
    }
}

extension ConvolutionGeometry {
    /// The first input channel output channel `o` sees: its group's, k·C/G.
    func firstInputChannel(ofOutput o: Int) -> Int { o / groupOutChannels * groupInChannels }

    /// The input pixel that tap (i, j) of output (ho, wo) reads: (ho·s − p + i·d, wo·s − p + j·d).
    func inputPosition(_ ho: Int, _ wo: Int, _ i: Int, _ j: Int) -> (Int, Int) {
        (ho * stride - padding + i * dilation, wo * stride - padding + j * dilation)
    }

    /// Offset of x[n, c, h, w] in an NCHW buffer.
    func inputIndex(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
        ((n * inChannels + c) * inHeight + h) * inWidth + w
    }

    /// Offset of y[n, o, ho, wo] in an NCHW buffer.
    func outputIndex(_ n: Int, _ o: Int, _ ho: Int, _ wo: Int) -> Int {
        ((n * outChannels + o) * outHeight + ho) * outWidth + wo
    }

    /// Offset of w[o, c, i, j] in an OIHW buffer of shape [O, C/G, kh, kw].
    func weightIndex(_ o: Int, _ c: Int, _ i: Int, _ j: Int) -> Int {
        ((o * groupInChannels + c) * kernelHeight + i) * kernelWidth + j
    }
}
