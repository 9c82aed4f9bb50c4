# audit writes to the journal (sd_journal_send) and guards its buffer with a mutex.
target_link_libraries(${LSCA_PLUGIN_TARGET} PRIVATE PkgConfig::SYSTEMD Threads::Threads)
