# install() + an exported package config so find_package(BitActor) works.
include(CMakePackageConfigHelpers)

# Public headers only: a layer's internal/ directory (core's engine, dist's wire machinery)
# serves the layers' own sources and white-box tests, and no installed header includes it
# (tests/consumer checks both).
install(DIRECTORY src/bitactor DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp"
        PATTERN "internal" EXCLUDE)
install(EXPORT BitActorTargets NAMESPACE bitactor::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/BitActor)
# The spdlog report sink, apart: BitActorConfig.cmake loads it (and looks spdlog up) only for
# find_package(BitActor COMPONENTS otp_spdlog).
install(EXPORT BitActorSpdlogTargets NAMESPACE bitactor::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/BitActor)
configure_package_config_file(cmake/BitActorConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/BitActorConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/BitActor)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/BitActorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/BitActorConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/BitActorConfigVersion.cmake
              cmake/FindRocksDB.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/BitActor)
