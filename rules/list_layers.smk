localrules:
    list_layers,


rule list_layers:
    """Print the model's layers with their grid size and channels: snakemake list_layers."""
    log:
        f"{RESULTS}/logs/list_layers.log",
    run:
        table = layer_table()
        files.write_text(log[0], table + "\n")
        print(table)
