import CaloCLI
import Testing

@Suite("OpenBLAS core selection")
struct OpenBLASCoreSelectionTests {
    let avx2: Set<String> = ["sse4_2", "avx", "avx2", "fma"]
    let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw"]
    let sse: Set<String> = ["sse", "sse2", "sse4_2"]

    @Test("a generic core on an AVX2+FMA machine re-executes with Haswell", arguments: ["Prescott", "Core2",
                                                                                      "Nehalem", "Unknown", ""])
    func genericOnAVX2(_ core: String) {
        #expect(OpenBLASCoreSelection.decide(coreName: core, environment: [:], cpuFlags: avx2)
                == .reexec(coreType: "Haswell"))
    }

    @Test("AVX-512F selects SkylakeX")
    func avx512Machine() {
        #expect(OpenBLASCoreSelection.decide(coreName: "Prescott", environment: [:], cpuFlags: avx512)
                == .reexec(coreType: "SkylakeX"))
    }

    @Test("a user's OPENBLAS_CORETYPE is respected, whatever it says")
    func userSetting() {
        for value in ["Prescott", "Haswell", "Zen"] {
            #expect(OpenBLASCoreSelection.decide(coreName: "Prescott", environment: ["OPENBLAS_CORETYPE": value],
                                                 cpuFlags: avx512) == .keep(.userSetting))
        }
    }

    @Test("the marker stops a second re-exec")
    func noLoop() {
        #expect(OpenBLASCoreSelection.decide(coreName: "Prescott",
                                             environment: [OpenBLASCoreSelection.marker: "Haswell"],
                                             cpuFlags: avx2) == .keep(.alreadyReexecuted))
    }

    @Test("a recognised core is kept", arguments: ["Haswell", "SkylakeX", "Zen", "Cooperlake", "SapphireRapids"])
    func recognised(_ core: String) {
        #expect(OpenBLASCoreSelection.decide(coreName: core, environment: [:], cpuFlags: avx512)
                == .keep(.coreRecognized))
    }

    @Test("without AVX2+FMA there is nothing better than the generic kernels")
    func oldMachine() {
        #expect(OpenBLASCoreSelection.decide(coreName: "Prescott", environment: [:], cpuFlags: sse)
                == .keep(.noBetterKernel))
        #expect(OpenBLASCoreSelection.decide(coreName: "Prescott", environment: [:], cpuFlags: ["avx2"])
                == .keep(.noBetterKernel))
        #expect(OpenBLASCoreSelection.decide(coreName: "Prescott", environment: [:], cpuFlags: [])
                == .keep(.noBetterKernel))
    }

    @Test("an empty OPENBLAS_CORETYPE counts as unset")
    func emptySetting() {
        #expect(OpenBLASCoreSelection.decide(coreName: "Prescott", environment: ["OPENBLAS_CORETYPE": ""],
                                             cpuFlags: avx2) == .reexec(coreType: "Haswell"))
    }

    @Test("flags are read from the first 'flags' line of /proc/cpuinfo")
    func cpuinfoParsing() {
        let text = """
            processor\t: 0
            model name\t: AMD EPYC 7B13
            flags\t\t: fpu sse2 avx fma avx2 bmi2
            processor\t: 1
            flags\t\t: fpu
            """
        #expect(CPUFeatures.flags(fromCPUInfo: text) == ["fpu", "sse2", "avx", "fma", "avx2", "bmi2"])
        #expect(CPUFeatures.flags(fromCPUInfo: "processor : 0\nBogoMIPS : 50\n").isEmpty)
    }
}
