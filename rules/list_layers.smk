localrules:
    list_layers,


rule list_layers:
    """Print the model's layers with their grid size and channels: snakemake list_layers."""
    log:
        paths.log_file(RESULTS, "list_layers"),
    run:
        table = layer_table()
        files.write_text(log[0], table + "\n")
        print(table)
