"""RM365 Toolbox Magento plugin: invoice-based pick & pack and returns."""
