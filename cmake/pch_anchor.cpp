// The one source of the precompiled-header targets (cmake/PrecompiledHeaders.cmake):
// CMake builds a target's precompiled header alongside its sources, so each needs one.
