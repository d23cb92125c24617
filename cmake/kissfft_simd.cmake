# KissFFT's own SIMD mode (USE_SIMD: four transforms per call, an SSE __m128 as its
# scalar; KissFFT's README.simd), for dsp::RealFft4. Debian builds libkissfft only for
# float, so the SIMD variant is compiled here from Debian's source package of the same
# KissFFT (131.1.0, BSD-3-Clause; the orig tarball, checked by its SHA-256 from the
# package's .dsc). Measured on this project's machine: one call transforming four
# 320-point frames costs about what one call of the scalar library costs for one frame
# (1,071 against 1,173 ns), so the per-hop spectrum costs a quarter of a transform.
#
#   -DTW_KISSFFT_SIMD=OFF                    the scalar library for every transform (four calls)
#   -DTW_KISSFFT_SOURCE=/path/kissfft_131.1.0.orig.tar.gz   no download (an offline build)
#
# Without SSE (not x86-64) or without the source, RealFft4 runs the scalar library
# four times: the same results to float rounding, at the scalar cost.
set(TW_KISSFFT_SIMD_DEFAULT OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(TW_KISSFFT_SIMD_DEFAULT ON)
endif()
option(TW_KISSFFT_SIMD "Compile KissFFT's SIMD mode (x86-64 SSE) from Debian's kissfft source" ${TW_KISSFFT_SIMD_DEFAULT})
set(TW_KISSFFT_SOURCE "" CACHE FILEPATH "kissfft_131.1.0.orig.tar.gz on this machine (default: download it from Debian)")
set(TW_KISSFFT_SIMD_DIR "")
if(TW_KISSFFT_SIMD)
  set(_tw_kiss_tarball "${CMAKE_BINARY_DIR}/_deps/kissfft_131.1.0.orig.tar.gz")
  set(_tw_kiss_sha256 76c1aac87ddb7258f34b08a13f0eebf9e53afa299857568346aa5c82bcafaf1a)
  set(_tw_kiss_dir "${CMAKE_BINARY_DIR}/_deps/kissfft-131.1.0")
  if(TW_KISSFFT_SOURCE)
    file(SHA256 "${TW_KISSFFT_SOURCE}" _tw_kiss_got)
    if(NOT _tw_kiss_got STREQUAL _tw_kiss_sha256)
      message(FATAL_ERROR "TW_KISSFFT_SOURCE ${TW_KISSFFT_SOURCE}: SHA-256 ${_tw_kiss_got}, expected ${_tw_kiss_sha256} (kissfft_131.1.0.orig.tar.gz)")
    endif()
    set(_tw_kiss_tarball "${TW_KISSFFT_SOURCE}")
  elseif(NOT EXISTS "${_tw_kiss_tarball}")
    set(_tw_kiss_status 1)
    foreach(_tw_kiss_url
        https://deb.debian.org/debian/pool/main/k/kissfft/kissfft_131.1.0.orig.tar.gz
        http://deb.debian.org/debian/pool/main/k/kissfft/kissfft_131.1.0.orig.tar.gz)
      file(DOWNLOAD "${_tw_kiss_url}" "${_tw_kiss_tarball}.part" TIMEOUT 60 STATUS _tw_kiss_result)
      list(GET _tw_kiss_result 0 _tw_kiss_status)
      if(_tw_kiss_status EQUAL 0)
        file(SHA256 "${_tw_kiss_tarball}.part" _tw_kiss_got)
        if(_tw_kiss_got STREQUAL _tw_kiss_sha256)
          file(RENAME "${_tw_kiss_tarball}.part" "${_tw_kiss_tarball}")
          break()
        endif()
        message(WARNING "tonewatch: ${_tw_kiss_url} has SHA-256 ${_tw_kiss_got}, expected ${_tw_kiss_sha256}: not used")
        set(_tw_kiss_status 1)
      endif()
    endforeach()
    file(REMOVE "${_tw_kiss_tarball}.part")
  endif()
  if(EXISTS "${_tw_kiss_tarball}")
    if(NOT EXISTS "${_tw_kiss_dir}/kiss_fftr.c")
      file(ARCHIVE_EXTRACT INPUT "${_tw_kiss_tarball}" DESTINATION "${CMAKE_BINARY_DIR}/_deps")
    endif()
    set(TW_KISSFFT_SIMD_DIR "${_tw_kiss_dir}")
    message(STATUS "tonewatch: KissFFT SIMD mode from ${_tw_kiss_tarball}")
  else()
    message(WARNING "tonewatch: could not download Debian's kissfft source (kissfft_131.1.0.orig.tar.gz): "
                    "four transforms run as four scalar calls (slower, same results to float rounding). "
                    "Give it with -DTW_KISSFFT_SOURCE=FILE, or turn this off with -DTW_KISSFFT_SIMD=OFF.")
  endif()
endif()
