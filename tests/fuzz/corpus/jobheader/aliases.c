// ---
// env: &e {A: "1", <<: *e}
// slurm: {partition: short, time: "1:00:00", mem: 4G}
// fatal_exit_codes: [1, 255]
// ---
