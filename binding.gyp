{
  # The native backend: build/Release/gru_native.node. The kernels (native/gemm.cc,
  # native/gru.cc, native/attention.cc, native/optim.cc, native/elementwise.cc) are compiled once per instruction set into static libraries
  # (portable; AVX2+FMA and AVX-512F on x86-64); the addon picks one at run time.
  'variables': {
    # 1: compile the AVX-512 kernel set for AVX2 (its 16-float layout, emulated),
    # so its logic can be tested on a machine without AVX-512.
    'gru_avx512_emulated%': 0,
    # KERNEL_ABI of src/kernels/spec.ts, passed by scripts/build-native.mjs (0: built some other way,
    # and refused at load).
    'gru_kernel_abi%': 0,
  },
  'target_defaults': {
    'cflags': ['-O3', '-fPIC', '-ffp-contract=fast', '-fno-math-errno', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-unused-function'],
    'cflags!': ['-O2'],
    'cflags_cc': ['-std=gnu++17'],
    'cflags_cc!': ['-std=gnu++14', '-std=gnu++1y'],
    'xcode_settings': {
      'GCC_OPTIMIZATION_LEVEL': '3',
      'CLANG_CXX_LANGUAGE_STANDARD': 'gnu++17',
      'GCC_SYMBOLS_PRIVATE_EXTERN': 'YES',
      'OTHER_CFLAGS': ['-ffp-contract=fast'],
    },
  },
  'targets': [
    {
      'target_name': 'gru_kernels_generic',
      'type': 'static_library',
      'sources': ['native/gemm.cc', 'native/gru.cc', 'native/attention.cc', 'native/optim.cc', 'native/elementwise.cc'],
    },
    {
      'target_name': 'gru_native',
      'sources': ['native/addon.cc', 'native/dispatch.cc', 'native/threads.cc'],
      'dependencies': ['gru_kernels_generic'],
      'defines': ['NAPI_VERSION=8', 'GRU_KERNEL_ABI=<(gru_kernel_abi)'],
      'cflags': ['-pthread'],
      'ldflags': ['-pthread'],
      'conditions': [
        ['target_arch=="x64"', {
          'dependencies': ['gru_kernels_avx2', 'gru_kernels_avx512'],
          'defines': ['GRU_HAVE_X86_KERNELS'],
        }],
        ['target_arch=="x64" and gru_avx512_emulated==1', {
          'defines': ['GRU_AVX512_EMULATED'],
        }],
      ],
    },
  ],
  'conditions': [
    ['target_arch=="x64"', {
      'targets': [
        {
          'target_name': 'gru_kernels_avx2',
          'type': 'static_library',
          'sources': ['native/gemm.cc', 'native/gru.cc', 'native/attention.cc', 'native/optim.cc', 'native/elementwise.cc'],
          'defines': ['GRU_ISA_AVX2'],
          'cflags': ['-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CFLAGS': ['-mavx2', '-mfma', '-ffp-contract=fast'] },
        },
        {
          'target_name': 'gru_kernels_avx512',
          'type': 'static_library',
          'sources': ['native/gemm.cc', 'native/gru.cc', 'native/attention.cc', 'native/optim.cc', 'native/elementwise.cc'],
          'defines': ['GRU_ISA_AVX512'],
          'conditions': [
            ['gru_avx512_emulated==1', {
              'defines': ['GRU_VW_OVERRIDE=16'],
              # (-Wno-psabi: 64-byte vectors without AVX-512 change the calling convention, a note that
              # does not matter inside one translation unit)
              'cflags': ['-mavx2', '-mfma', '-Wno-psabi'],
              'xcode_settings': { 'OTHER_CFLAGS': ['-mavx2', '-mfma', '-ffp-contract=fast'] },
            }, {
              'cflags': ['-mavx512f', '-mfma'],
              'xcode_settings': { 'OTHER_CFLAGS': ['-mavx512f', '-mfma', '-ffp-contract=fast'] },
            }],
          ],
        },
      ],
    }],
  ],
}
