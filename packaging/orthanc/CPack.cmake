# Debian package of the ThermoGuard node, the way a PACS administrator installs Orthanc plugins:
#   /usr/share/orthanc/plugins/libThermoGuard.so  (Debian's /etc/orthanc/orthanc.json loads that folder)
#   /usr/share/thermoguard/models/demo.tgm        (the SYNTHETIC demo model, testdata/models/demo.tgm)
#   /etc/orthanc/thermoguard.json                 (the snippet's "ThermoGuard" section only; a conffile)
# The packaged section lists the demo model with its SHA-256 pinned (computed here from the very
# file that is packaged) and makes it the active model, so the node gives model results (marked
# synthetic in every SR) out of the box; the administrator adds their own model the same way.
# Debian's /etc/orthanc/orthanc.json already has a "UserMetadata" section and Orthanc 1.10.1 refuses
# to start when a top-level section appears in two files of its configuration folder (checked), so
# the packaged snippet leaves UserMetadata out: until the administrator adds the four entries of
# packaging/orthanc/thermoguard.json to orthanc.json's "UserMetadata", the plugin starts disabled
# and GET /thermoguard/status says exactly that. Orthanc itself always starts. The same holds for the
# snippet's top-level "ConcurrentJobs" (3: two audits at once): Debian's orthanc.json sets it to 2,
# which the administrator raises there (with 2, one audit runs at a time).
# Build: cmake --build build && (cd build && cpack -G DEB)
# Included from plugin/orthanc/CMakeLists.txt; only the "node" component is packaged.
set(TG_DEMO_MODEL ${PROJECT_SOURCE_DIR}/testdata/models/demo.tgm)
set(TG_DEMO_MODEL_DEST /usr/share/thermoguard/models/demo.tgm)
file(SHA256 ${TG_DEMO_MODEL} TG_DEMO_SHA256)
file(READ ${CMAKE_CURRENT_LIST_DIR}/thermoguard.json TG_SNIPPET)
string(JSON TG_SECTION GET ${TG_SNIPPET} ThermoGuard)
string(JSON TG_SECTION SET ${TG_SECTION} Models
       "[{\"Name\": \"demo\", \"Version\": \"demo\", \"Path\": \"${TG_DEMO_MODEL_DEST}\", \"SHA256\": \"${TG_DEMO_SHA256}\"}]")
string(JSON TG_SECTION SET ${TG_SECTION} ActiveModel "\"demo\"")
file(WRITE ${CMAKE_BINARY_DIR}/debian-node/thermoguard.json "{\n  \"ThermoGuard\" : ${TG_SECTION}\n}\n")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/thermoguard.json
             ${TG_DEMO_MODEL})
install(FILES ${TG_DEMO_MODEL} DESTINATION share/thermoguard/models COMPONENT node)
install(FILES ${CMAKE_BINARY_DIR}/debian-node/thermoguard.json DESTINATION /etc/orthanc COMPONENT node)
file(WRITE ${CMAKE_BINARY_DIR}/debian-node/conffiles "/etc/orthanc/thermoguard.json\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME orthanc-thermoguard)
set(CPACK_PACKAGE_VENDOR "ThermoGuard")
set(CPACK_PACKAGE_CONTACT "ThermoGuard maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Orthanc plugin: breast thermography analysis with DICOM SR results (research use only)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL node)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_LICENSE "GPL-3.0-or-later")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "orthanc (>= 1.10.1)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/debian-node/conffiles)
include(CPack)
